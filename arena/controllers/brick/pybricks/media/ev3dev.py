"""pybricks.media.ev3dev: Image, ImageFile, SoundFile and Font on the simulated brick.

The files' names are the brick's (ev3dev's sound and image folders); nothing is loaded from them,
but each sound's playing time is known (media/_sound_lengths.py, from the real files).
What a program draws is recorded as text in the run's output, with the time (docs/brick.md).
"""

from pybricks._runtime import Runtime

_SOUNDS = {
    "expressions": "shouting cheering crying ouch laughing_2 sneezing smack boing boo uh-oh snoring kung_fu "
                   "fanfare crunching magic_wand laughing_1",
    "information": "left backwards right object color flashing error error_alarm down forward activate "
                   "searching touch up analyze stop detected turn start",
    "communication": "morning ev3 go good_job okey-dokey good no thank_you yes game_over okay sorry bravo "
                     "goodbye hi hello mindstorms lego fantastic",
    "movements": "speed_idle speed_down speed_up",
    "colors": "brown green black white red blue yellow",
    "mechanical": "tick_tack horn_1 backing_alert motor_idle air_release airbrake ratchet motor_stop horn_2 "
                  "laser sonar motor_start",
    "animals": "insect_buzz_2 elephant_call snake_hiss dog_bark_2 dog_whine insect_buzz_1 dog_sniff t-rex_roar "
               "insect_chirp dog_growl snake_rattle dog_bark_1 cat_purr",
    "numbers": "eight seven six four ten one two three zero five nine",
    "system": "ready confirm general_alert click overpower",
}
_IMAGES = {
    "information": "right forward accept question_mark stop_1 left decline thumbs_down backward no_go warning "
                   "stop_2 thumbs_up",
    "lego": "ev3 ev3_icon",
    "objects": "target",
    "eyes": "bottom_right bottom_left evil crazy_2 knocked_out pinched_right winking dizzy down tired_middle "
            "middle_right sleeping middle_left tired_right pinched_left pinched_middle crazy_1 neutral awake up "
            "tired_left angry",
}


def _files(cls, base: str, table: dict, ext: str):
    for folder, names in table.items():
        for name in names.split():
            setattr(cls, name.upper().replace("-", "_"), f"{base}{folder}/{name}.{ext}")
    return cls


class SoundFile:
    """Paths of the brick's sound files (for EV3Brick.speaker.play_file)."""


class ImageFile:
    """Paths of the brick's images (for EV3Brick.screen.load_image / draw_image)."""


_files(SoundFile, "/usr/share/sounds/ev3dev/", _SOUNDS, "wav")
_files(ImageFile, "/usr/share/images/ev3dev/mono/", _IMAGES, "png")


class Font:
    """A font for the screen; its size sets the text's height in pixels."""

    DEFAULT = None

    def __init__(self, family=None, size=12, bold=False, monospace=False, lang=None, script=None):
        self.family = family or "Lucida"
        self.style = "Bold" if bold else "Regular"
        self.size = int(size)
        self.height = self.size + 3
        self.width = max(1, (self.size * 2) // 3)

    def text_width(self, text):
        return self.width * len(str(text))

    def text_height(self, text):
        return self.height


Font.DEFAULT = Font("Lucida", 12)


def _ink(color, default="black"):
    """The EV3's screen is black and white: Color.WHITE is white, None the default, any other black."""
    if color is None:
        return default
    return "white" if getattr(color, "name", None) == "WHITE" else "black"


def _opts(*tokens):
    return "".join(f" {t}" for t in tokens if t)


class Image:
    """An image, or the screen itself (Image("_screen_") / EV3Brick.screen): 178 x 128 pixels.
    Drawing on the screen is recorded in the run's output, one line per call with every parameter
    the picture needs; the arena renders the pictures from them (arena/controllers/screen.py)."""

    def __init__(self, source="_screen_", sub=False, x1=0, y1=0, x2=0, y2=0):
        self._screen = source == "_screen_"
        self._font = Font.DEFAULT
        self._line = 0
        if isinstance(source, Image):
            self.width, self.height = (x2 - x1 + 1, y2 - y1 + 1) if sub else (source.width, source.height)
        else:
            self.width, self.height = 178, 128

    @staticmethod
    def empty(width=178, height=128):
        if width < 1 or height < 1:
            raise ValueError("width and height must be at least 1")
        img = Image(None)
        img.width, img.height = int(width), int(height)
        return img

    def _show(self, text):
        if self._screen and Runtime.current is not None:
            Runtime.current.event(f"screen {text}")

    def clear(self):
        self._line = 0
        self._show("clear")

    def draw_pixel(self, x, y, color=None):
        self._show(f"pixel {int(x)},{int(y)}" + _opts(_ink(color, "")))

    def draw_line(self, x1, y1, x2, y2, width=1, color=None):
        self._show(f"line {int(x1)},{int(y1)} {int(x2)},{int(y2)}"
                   + _opts(f"w{int(width)}" if int(width) != 1 else "", _ink(color, "")))

    def draw_box(self, x1, y1, x2, y2, r=0, fill=False, color=None):
        self._show(f"box {int(x1)},{int(y1)} {int(x2)},{int(y2)}"
                   + _opts(f"r{int(r)}" if int(r) else "", "fill" if fill else "", _ink(color, "")))

    def draw_circle(self, x, y, r, fill=False, color=None):
        self._show(f"circle {int(x)},{int(y)} r{int(r)}" + _opts("fill" if fill else "", _ink(color, "")))

    def draw_image(self, x, y, source, transparent=None):
        self._show(f"image {source if isinstance(source, str) else 'Image'} at {int(x)},{int(y)}")

    def load_image(self, source):
        self._line = 0
        self._show(f"image {source if isinstance(source, str) else 'Image'}")

    def draw_text(self, x, y, text, text_color=None, background_color=None):
        ink = (_ink(text_color), _ink(background_color, "none"))
        how = "" if ink == ("black", "none") else f"/{ink[0]}/{ink[1]}"
        self._show(f"text{how} {int(x)},{int(y)} {text}")

    def print(self, *args, sep=" ", end="\n"):
        self._line += 1
        self._show("print " + sep.join(str(a) for a in args))

    def set_font(self, font):
        self._font = font
        self._show(f"font {font.size}")

    def save(self, filename):
        if not isinstance(filename, str):
            raise TypeError("filename must be a string")
        self._show(f"save {filename}")

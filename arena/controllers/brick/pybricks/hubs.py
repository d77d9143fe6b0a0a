"""The brick itself (pybricks.hubs.EV3Brick): buttons, light, speaker, screen, battery.

Buttons are pressed by the run's script (`arena run --press CENTER@0.5`, docs/brick.md). Sounds
take the time they take on the brick and the screen's drawing is recorded: both appear in the
run's output as "[brick <time>s] ..." lines.
"""

from pybricks._runtime import Runtime
from pybricks.media.ev3dev import Image

SPEECH_WPM = 175.0  # espeak's default speaking rate (words per minute), which the EV3 uses


def _rt() -> Runtime:
    if Runtime.current is None:
        raise RuntimeError("the brick is not running")
    return Runtime.current


class _Buttons:
    def pressed(self):
        """The buttons held now (list of Button)."""
        return list(_rt().buttons())


class _Light:
    def on(self, color):
        _rt().event(f"light {getattr(color, 'name', color)}")

    def off(self):
        _rt().event("light off")


def note_ms(note: str, tempo: float) -> float:
    """How long one of play_notes' notes lasts: "C4/4" is a quarter, "/8." a dotted eighth."""
    _, _, rest = str(note).partition("/")
    dotted = rest.endswith(".")
    try:
        fraction = int(rest.rstrip("._") or "4")
    except ValueError:
        raise ValueError(f"bad note {note!r}: write it as NAME OCTAVE/FRACTION, e.g. C4/4") from None
    ms = 4.0 / fraction * 60000.0 / tempo
    return ms * 1.5 if dotted else ms


class _Speaker:
    def __init__(self):
        self._volume = 100

    def beep(self, frequency=500, duration=100):
        """Beep (Hz, ms); the program waits while it sounds."""
        rt = _rt()
        rt.event(f"beep {frequency} Hz {duration} ms")
        if duration > 0:
            rt.wait_ms(duration)

    def play_notes(self, notes, tempo=120):
        rt = _rt()
        notes = list(notes)
        ms = sum(note_ms(n, tempo) for n in notes)
        rt.event(f"notes {' '.join(map(str, notes))} tempo {tempo} ({ms:g} ms)")
        rt.wait_ms(ms)

    def say(self, text):
        """Speak text; takes as long as espeak's default rate would."""
        rt = _rt()
        ms = len(str(text).split()) * 60000.0 / SPEECH_WPM
        rt.event(f"say {text} ({ms:g} ms)")
        rt.wait_ms(ms)

    def play_file(self, file):
        _rt().event(f"play {file} (0 ms)")  # the files' lengths are not known here

    def set_volume(self, volume, which="_all_"):
        self._volume = max(0, min(100, int(volume)))

    def set_speech_options(self, language=None, voice=None, speed=None, pitch=None):
        pass


class _Battery:
    def voltage(self):
        """Battery voltage (int, mV)."""
        rt = Runtime.current
        return int(rt.peek("battery/voltage", 9000) if rt else 9000)

    def current(self):
        """Battery current (int, mA): not modelled by the simulator, reported as 0."""
        return 0


class EV3Brick:
    def __init__(self):
        self.buttons = _Buttons()
        self.light = _Light()
        self.speaker = _Speaker()
        self.screen = Image("_screen_")
        self.battery = _Battery()

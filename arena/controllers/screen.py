"""The EV3 screen as pictures: a 178 x 128 black-and-white bitmap redrawn from the screen events a
brick program recorded (outputs.brick_outputs(...)["screen"], written by brick/pybricks/media/ev3dev.py).

One frame whenever the screen changed, taken once all drawing at that simulated time is done (a
program that clears and redraws within one control period shows one picture, as the brick's
display would). Text uses Pillow's bundled font at the program's Font size, so letter shapes
differ from the brick's Lucida; positions, sizes, lines, boxes and circles are the brick's.
Pictures from ImageFile are not on this machine: they are drawn as a framed box with the file's
name (docs/brick.md).
"""

from __future__ import annotations

import io
import re
from functools import lru_cache

WIDTH, HEIGHT = 178, 128
MAX_FRAMES = 300  # per run; the last frame is always the final screen
DEFAULT_FONT = 12  # px, Font.DEFAULT on the brick
_POINT = r"(-?\d+),(-?\d+)"
_SHAPE = re.compile(rf"^(pixel|line|box|circle) {_POINT}(?: {_POINT})?((?: \S+)*)$")
_TEXT = re.compile(rf"^text(?:/(black|white)/(black|white|none))? {_POINT} ?(.*)$")
_IMAGE = re.compile(rf"^image (.+?)(?: at {_POINT})?$")


@lru_cache(maxsize=16)
def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=max(4, size))
    except TypeError:  # Pillow before 10.1: one bitmap size
        return ImageFont.load_default()


class Screen:
    """The screen's bitmap and the state the brick keeps for drawing (font, print line)."""

    def __init__(self):
        from PIL import Image, ImageDraw

        self.image = Image.new("1", (WIDTH, HEIGHT), 1)
        self.draw = ImageDraw.Draw(self.image)
        self.draw.fontmode = "1"  # no grey: the panel has two colours
        self.size = DEFAULT_FONT
        self.line_y = 0

    def apply(self, text: str) -> None:
        """One recorded event ("clear", "line 0,0 10,10 w2", "print hello", ...); unknown ones are
        ignored (a program may print a look-alike line: it only draws on its own screen)."""
        kind, _, rest = text.partition(" ")
        if kind == "clear":
            self._clear()
        elif kind == "print":
            self._print(rest)
        elif kind == "font":
            if rest.strip().isdigit():
                self.size = int(rest)
        elif kind.startswith("text"):
            self._text(text)
        elif kind == "image":
            self._image(rest)
        else:
            self._shape(text)

    def _clear(self) -> None:
        self.draw.rectangle((0, 0, WIDTH - 1, HEIGHT - 1), fill=1)
        self.line_y = 0

    def _print(self, text: str) -> None:
        step = self.size + 3  # Font.height on the brick
        if self.line_y + step > HEIGHT:  # scroll up by a line, as a terminal does
            shifted = self.image.crop((0, step, WIDTH, HEIGHT))
            self._clear()
            self.image.paste(shifted, (0, 0))
            self.line_y = HEIGHT - step
        self.draw.text((0, self.line_y), text, font=_font(self.size), fill=0)
        self.line_y += step

    def _text(self, text: str) -> None:
        m = _TEXT.match(text)
        if m is None:
            return
        fg, bg = m.group(1) or "black", m.group(2) or "none"
        x, y, body = int(m.group(3)), int(m.group(4)), m.group(5)
        font = _font(self.size)
        if bg != "none":
            self.draw.rectangle(self.draw.textbbox((x, y), body, font=font), fill=int(bg == "white"))
        self.draw.text((x, y), body, font=font, fill=int(fg == "white"))

    def _image(self, rest: str) -> None:
        m = _IMAGE.match(rest)
        if m is None:
            return
        name = m.group(1).rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if m.group(2) is None:  # load_image: the picture replaces the screen
            self._clear()
            x, y = 0, 0
        else:
            x, y = int(m.group(2)), int(m.group(3))
        self.draw.rectangle((x, y, WIDTH - 1, HEIGHT - 1), outline=0, fill=1)
        self.draw.text((x + 4, y + 4), name, font=_font(DEFAULT_FONT), fill=0)

    def _shape(self, text: str) -> None:
        m = _SHAPE.match(text)
        if m is None:
            return
        kind = m.group(1)
        x1, y1 = int(m.group(2)), int(m.group(3))
        opts = m.group(6).split()
        ink = 1 if "white" in opts else 0
        fill = "fill" in opts
        num = {o[0]: int(o[1:]) for o in opts if o[:1] in ("w", "r") and o[1:].isdigit()}
        if kind == "pixel":
            self.draw.point((x1, y1), fill=ink)
        elif kind == "circle":
            r = num.get("r", 0)
            self.draw.ellipse((x1 - r, y1 - r, x1 + r, y1 + r), outline=ink, fill=ink if fill else None)
        elif m.group(4) is not None:
            x2, y2 = int(m.group(4)), int(m.group(5))
            if kind == "line":
                self.draw.line((x1, y1, x2, y2), fill=ink, width=max(1, num.get("w", 1)))
            else:
                box = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
                self.draw.rounded_rectangle(box, radius=num.get("r", 0), outline=ink, fill=ink if fill else None)

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.image.save(buf, format="PNG", optimize=True)
        return buf.getvalue()


def screen_frames(events: list[dict], max_frames: int = MAX_FRAMES) -> tuple[list[dict], bool]:
    """events: [{t_s, text}] in order -> ([{t_s, png}], truncated): a frame each time the screen
    changed, after the last event at that time; at most max_frames, the final screen always last."""
    screen = Screen()
    frames: list[dict] = []
    last = screen.image.tobytes()
    truncated = False
    pending = None
    for i, ev in enumerate(events):
        screen.apply(str(ev.get("text", "")))
        t = float(ev.get("t_s", 0.0))
        nxt = events[i + 1] if i + 1 < len(events) else None
        if nxt is not None and float(nxt.get("t_s", 0.0)) == t:
            continue  # more drawing at this same moment: one picture for all of it
        now = screen.image.tobytes()
        if now == last:
            continue
        last = now
        if len(frames) < max_frames - 1:
            frames.append({"t_s": t, "png": screen.png()})
        else:
            truncated = True
            pending = {"t_s": t, "png": screen.png()}
    if pending is not None:
        frames.append(pending)
    return frames, truncated

"""Rules a world file must meet beyond the type of each key: the mat's size (so drawing it cannot
exhaust memory), start poses on the mat, a mat picture of sane dimensions, and a default robot
that can be found. docs/worlds.md lists the limits.
"""

from __future__ import annotations

import struct
from pathlib import Path

from arena.errors import ArenaError, SpecError
from arena.tomlio import Table, depends_on
from arena.world.mat import MAX_MAT_PIXELS

MIN_MAT_MM = 10.0  # each side of the mat
MAX_MAT_MM = 10_000.0  # each side of the mat: 10 m
MAX_PICTURE_PIXELS = 25_000_000  # a mat picture's own pixels (decoded before it is resampled)


def mat_problems(mat: Table, size: tuple[float, float], resolution: float) -> list[SpecError]:
    """The mat's sides within MIN_MAT_MM-MAX_MAT_MM and its pixel count within MAX_MAT_PIXELS."""
    out = []
    for i, side in enumerate(size):
        if not MIN_MAT_MM <= side <= MAX_MAT_MM:
            out.append(mat.error(f"size[{i}]", f"a mat side of {side:g} mm is outside {MIN_MAT_MM:g}-{MAX_MAT_MM:,.0f} mm",
                                 "write size = [width, height] in mm (a competition table is about 2400 x 1200)"))
    if not out:
        px = round(size[0] / resolution) * round(size[1] / resolution)
        if px > MAX_MAT_PIXELS:
            need = (size[0] * size[1] / MAX_MAT_PIXELS) ** 0.5
            out.append(mat.error("resolution", f"{size[0]:g} x {size[1]:g} mm at {resolution:g} mm per pixel is "
                                 f"{px:,} pixels, over the limit of {MAX_MAT_PIXELS:,}",
                                 f"use resolution = {need:.1f} or more (mm per pixel), or a smaller mat"))
    return out


def picture_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header without decoding it (None: not recognised)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(32)
            if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
                w, h = struct.unpack(">II", head[16:24])
                return w, h
            if head[:2] != b"\xff\xd8":
                return None
            fh.seek(2)
            while True:  # walk the JPEG segments to the frame header
                marker = fh.read(2)
                if len(marker) < 2 or marker[0] != 0xFF:
                    return None
                if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
                    seg = fh.read(7)
                    if len(seg) < 7:
                        return None
                    h, w = struct.unpack(">HH", seg[3:7])
                    return w, h
                length = fh.read(2)
                if len(length) < 2:
                    return None
                fh.seek(struct.unpack(">H", length)[0] - 2, 1)
    except OSError:
        return None


def picture_problems(mat: Table, picture: Path) -> list[SpecError]:
    depends_on(picture)  # a cached world is checked again when its picture changes
    size = picture_size(picture)
    if size is not None and size[0] * size[1] > MAX_PICTURE_PIXELS:
        return [mat.error("image", f"the picture is {size[0]:,} x {size[1]:,} pixels, over the limit of "
                          f"{MAX_PICTURE_PIXELS:,}", "scale it down (a mat needs about 1 pixel per mm)")]
    return []


def start_problems(starts: list[tuple[Table, object]], size: tuple[float, float]) -> list[SpecError]:
    """A start pose given by position must lie on the mat (a path's start lies on its path)."""
    out = []
    for t, s in starts:
        if s.path is None and not (abs(s.pos[0]) <= size[0] / 2 and abs(s.pos[1]) <= size[1] / 2):
            out.append(t.error("pos", f"({s.pos[0]:g}, {s.pos[1]:g}) mm is off the {size[0]:g} x {size[1]:g} mm mat",
                               f"use x within +-{size[0] / 2:g} and y within +-{size[1] / 2:g} (origin: the mat centre)"))
    return out


def path_problems(t: Table, path, size: tuple[float, float]) -> list[SpecError]:
    """A path's control points (and its variants') must lie on the mat: the first one off it."""
    for key, pts in (("points", path.points), *((f"variants[{i}]", v) for i, v in enumerate(path.variants))):
        for j, (x, y) in enumerate(pts):
            if abs(x) > size[0] / 2 or abs(y) > size[1] / 2:
                return [t.error(f"{key}[{j}]", f"({x:g}, {y:g}) mm is off the {size[0]:g} x {size[1]:g} mm mat",
                                f"use x within +-{size[0] / 2:g} and y within +-{size[1] / 2:g} (origin: the mat centre)")]
    return []


def robot_problem(world) -> SpecError | None:
    """The world's default robot (`robot = ...`) must be a bundled robot name or an existing path."""
    from arena.content import resolve

    try:
        resolve("robots", world.robot)
    except ArenaError as exc:
        return SpecError(world.file, "robot", f"the default robot cannot be found ({str(exc).split(':')[0]})",
                         "use a robot name from `arena list` or a path to a build file")
    return None


# -- the operator's button presses ([brick] presses = [...], `arena run --press`) -----------------
# the brick's buttons (pybricks.parameters.Button names) a scripted press may name
BUTTONS = ("LEFT", "RIGHT", "UP", "DOWN", "CENTER", "LEFT_UP", "LEFT_DOWN", "RIGHT_UP", "RIGHT_DOWN", "BEACON")
TAP_S = 0.2  # how long a press with no end time is held: a quick tap by the operator
PRESS_FORM = "use BUTTON@SECONDS or BUTTON@START-END, e.g. CENTER@0.5"
MAX_PRESSES = 100  # a start ritual is a few presses; a long list is a mistake


def read_press(text) -> list:
    """"CENTER@0.5" (a TAP_S tap at 0.5 s) or "CENTER@0.5-2" (held from 0.5 s to 2 s) ->
    [button, start s, end s]; ValueError naming the problem (the caller adds where and the form)."""
    name, sep, when = str(text).partition("@")
    name = name.strip().upper()
    if not sep:
        raise ValueError(PRESS_FORM)
    if name not in BUTTONS:
        raise ValueError(f"unknown button {name!r}; buttons: {', '.join(BUTTONS)}")
    start, dash, end = when.partition("-")
    try:
        t0 = float(start)
        t1 = float(end) if dash else t0 + TAP_S
    except ValueError:
        raise ValueError(f"the time is not a number of seconds; {PRESS_FORM}") from None
    if not (0.0 <= t0 < t1) or t1 != t1 or t1 == float("inf"):
        raise ValueError(f"times must be finite, 0 or more, the end after the start; {PRESS_FORM}")
    return [name, t0, t1]


def read_brick(top: Table, time_limit: float | None) -> tuple[tuple, list[SpecError]]:
    """The world's [brick] table: presses = ["CENTER@0.5", ...], the operator's start ritual,
    pressed on every player's brick when a run gives no --press. (presses, problems)."""
    if not top.has("brick"):
        return (), []
    try:
        brick = top.table("brick")
        texts = brick.strs("presses", ())
    except SpecError as exc:
        return (), [exc]
    probs = brick.unknown()
    if len(texts) > MAX_PRESSES:
        probs.append(brick.error("presses", f"{len(texts)} presses, over the limit of {MAX_PRESSES}",
                                 "keep the start ritual to the presses a program waits for"))
        return (), probs
    out = []
    for i, text in enumerate(texts):
        try:
            press = read_press(text)
        except ValueError as exc:
            probs.append(brick.error(f"presses[{i}]", f"{text!r}: {exc}", PRESS_FORM))
            continue
        if time_limit is not None and press[1] >= time_limit:
            probs.append(brick.error(f"presses[{i}]", f"{text!r} starts at {press[1]:g} s, after the world's "
                                     f"time limit of {time_limit:g} s", "press it within the time limit"))
            continue
        out.append(tuple(press))
    return tuple(out), probs

"""Units and brick vocabulary (standard library only).

The controller-facing API uses the brick's units (mm, deg, deg/s, ms, percent); the physics
uses SI. Every conversion goes through here.
"""

from __future__ import annotations

import math
from enum import Enum

MOTOR_PORTS = ("A", "B", "C", "D")
SENSOR_PORTS = ("S1", "S2", "S3", "S4")

STUD_MM = 8.0
PLATE_MM = 3.2
BRICK_MM = 9.6


def mm(x: float) -> float:
    """mm -> m."""
    return x * 1e-3


def to_mm(x: float) -> float:
    """m -> mm."""
    return x * 1e3


def deg(x: float) -> float:
    """deg -> rad."""
    return x * (math.pi / 180.0)


def to_deg(x: float) -> float:
    """rad -> deg."""
    return x * (180.0 / math.pi)


def rpm_to_rad_s(x: float) -> float:
    return x * (2.0 * math.pi / 60.0)


def ncm(x: float) -> float:
    """N*cm -> N*m."""
    return x * 1e-2


class Stop(str, Enum):
    """What a motor does after it stops (pybricks vocabulary)."""

    COAST = "coast"
    BRAKE = "brake"
    HOLD = "hold"


class Direction(str, Enum):
    CLOCKWISE = "clockwise"
    COUNTERCLOCKWISE = "counterclockwise"


class Color(int, Enum):
    """EV3 colour ids (0-7), as the colour sensor reports them."""

    NONE = 0
    BLACK = 1
    BLUE = 2
    GREEN = 3
    YELLOW = 4
    RED = 5
    WHITE = 6
    BROWN = 7


# Nominal RGB (0-255) of each colour id, for drawing and for classifying sensor readings.
COLOR_RGB = {
    Color.BLACK: (20, 20, 20),
    Color.BLUE: (30, 80, 200),
    Color.GREEN: (30, 160, 60),
    Color.YELLOW: (240, 220, 40),
    Color.RED: (210, 40, 40),
    Color.WHITE: (250, 250, 250),
    Color.BROWN: (120, 80, 40),
}


def parse_length(value: object) -> float:
    """A length in mm from a number (mm) or a string like "3 stud", "2 plate", "1.5 brick", "12 mm"."""
    if isinstance(value, bool):
        raise ValueError("a length must be a number of mm or a string like '3 stud'")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        parts = value.split()
        if len(parts) == 2:
            n, unit = parts
            scale = {"mm": 1.0, "stud": STUD_MM, "studs": STUD_MM, "plate": PLATE_MM, "plates": PLATE_MM,
                     "brick": BRICK_MM, "bricks": BRICK_MM, "cm": 10.0}.get(unit)
            if scale is not None:
                try:
                    return float(n) * scale
                except ValueError:
                    pass
    raise ValueError(f"cannot read {value!r} as a length: use mm (a number) or '<n> stud|plate|brick|mm|cm'")


# Colour names a robot or world file may use for parts, mats and objects (RGB 0-255).
NAMED_COLORS = {
    "white": (250, 250, 250), "black": (15, 15, 15), "red": (210, 40, 40), "green": (30, 160, 60),
    "blue": (30, 80, 200), "yellow": (240, 220, 40), "grey": (128, 128, 128), "gray": (128, 128, 128),
    "brown": (120, 80, 40), "silver": (200, 200, 210),
}


def parse_color(value: str) -> tuple[int, int, int]:
    """'black', '#112233' -> RGB 0-255. Raises ValueError with the accepted forms."""
    v = value.strip().lower()
    if v in NAMED_COLORS:
        return NAMED_COLORS[v]
    if v.startswith("#") and len(v) == 7:
        try:
            return tuple(int(v[i:i + 2], 16) for i in (1, 3, 5))
        except ValueError:
            pass
    raise ValueError(f"unknown colour {value!r}: use #rrggbb or one of {', '.join(sorted(NAMED_COLORS))}")

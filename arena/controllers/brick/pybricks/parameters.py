"""Ports, directions, stop modes, colours and buttons, as in pybricks.parameters."""


class Port:
    A, B, C, D = "A", "B", "C", "D"
    S1, S2, S3, S4 = "S1", "S2", "S3", "S4"


class Direction:
    CLOCKWISE = "clockwise"
    COUNTERCLOCKWISE = "counterclockwise"


class Stop:
    COAST = "coast"
    BRAKE = "brake"
    HOLD = "hold"


class Button:
    """The brick's five buttons, the IR remote's four and its beacon (arena: --press NAME@s)."""

    LEFT, RIGHT, UP, DOWN, CENTER = "LEFT", "RIGHT", "UP", "DOWN", "CENTER"
    LEFT_UP, LEFT_DOWN, RIGHT_UP, RIGHT_DOWN, BEACON = "LEFT_UP", "LEFT_DOWN", "RIGHT_UP", "RIGHT_DOWN", "BEACON"
    LEFT_PLUS, LEFT_MINUS, RIGHT_PLUS, RIGHT_MINUS = LEFT_UP, LEFT_DOWN, RIGHT_UP, RIGHT_DOWN  # v3 names


class _Color:
    def __init__(self, name: str, cid: int):
        self.name, self.id = name, cid

    def __repr__(self):
        return f"Color.{self.name}"

    def __eq__(self, other):
        return isinstance(other, _Color) and other.id == self.id

    def __hash__(self):
        return hash(self.id)


class Color:
    NONE = None
    BLACK = _Color("BLACK", 1)
    BLUE = _Color("BLUE", 2)
    GREEN = _Color("GREEN", 3)
    YELLOW = _Color("YELLOW", 4)
    RED = _Color("RED", 5)
    WHITE = _Color("WHITE", 6)
    BROWN = _Color("BROWN", 7)
    ORANGE = _Color("ORANGE", 8)  # brick light colours; the colour sensor never reports these
    PURPLE = _Color("PURPLE", 9)


# colour ids reported by the sensor -> Color members (0 = nothing seen -> None)
COLOR_BY_ID = {1: Color.BLACK, 2: Color.BLUE, 3: Color.GREEN, 4: Color.YELLOW, 5: Color.RED, 6: Color.WHITE,
               7: Color.BROWN}


# v1.0 programs import these from here; v2.0 moved them to pybricks.media.ev3dev
from pybricks.media.ev3dev import ImageFile, SoundFile  # noqa: E402,F401

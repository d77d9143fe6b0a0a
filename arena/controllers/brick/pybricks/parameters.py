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
    LEFT, RIGHT, UP, DOWN, CENTER = "left", "right", "up", "down", "center"


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


# colour ids reported by the sensor -> Color members (0 = nothing seen -> None)
COLOR_BY_ID = {1: Color.BLACK, 2: Color.BLUE, 3: Color.GREEN, 4: Color.YELLOW, 5: Color.RED, 6: Color.WHITE,
               7: Color.BROWN}

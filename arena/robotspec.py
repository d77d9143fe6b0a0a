"""Robot build files (layer 1): TOML -> a frozen, validated RobotSpec.

Robot frame: x forward, y left, z up; origin on the ground below the middle of the drive axle.
Positions are in mm (or "3 stud" / "2 plate" strings), orientations as roll/pitch/yaw in deg.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .catalogue import catalogue
from .errors import SpecError
from .tomlio import Table, load_toml
from .units import MOTOR_PORTS, SENSOR_PORTS, parse_length


@dataclass(frozen=True)
class PartSpec:
    id: str
    part: str  # catalogue id
    kind: str
    pos: tuple[float, float, float]  # mm
    rpy: tuple[float, float, float]  # deg
    port: str | None = None
    motor: str | None = None  # wheels: id of the motor that drives them
    gear: float = 1.0  # wheels: output turns per motor turn (driven teeth / driving teeth inverted)
    direction: str = "clockwise"  # motors: positive direction, pybricks style
    touch: str | None = None  # bumpers: id of the touch sensor they press
    color: str | None = None


@dataclass(frozen=True)
class RobotSpec:
    name: str
    description: str
    author: str
    file: str
    parts: tuple[PartSpec, ...]

    def by_kind(self, kind: str) -> list[PartSpec]:
        return [p for p in self.parts if p.kind == kind]

    @property
    def brick(self) -> PartSpec:
        return self.by_kind("brick")[0]

    @property
    def motors(self) -> list[PartSpec]:
        return sorted(self.by_kind("motor"), key=lambda p: p.port)

    @property
    def sensors(self) -> list[PartSpec]:
        return sorted(self.by_kind("sensor"), key=lambda p: p.port)

    def part(self, pid: str) -> PartSpec:
        for p in self.parts:
            if p.id == pid:
                return p
        raise KeyError(pid)

    @property
    def mass(self) -> float:
        cat = catalogue()
        return sum(cat[p.part].mass for p in self.parts)


def _length(x) -> float:
    return parse_length(x)


def load_robot(path: Path) -> RobotSpec:
    path = Path(path)
    f = str(path)
    top = Table(load_toml(path), f)
    name = top.str("name")
    description = top.str("description", "")
    author = top.str("author", "")
    cat = catalogue()
    parts: list[PartSpec] = []
    ids: set[str] = set()
    for t in top.tables("parts"):
        pid = t.str("id")
        if pid in ids:
            raise t.error("id", f"part id {pid!r} is used twice", "give every part a unique id")
        ids.add(pid)
        cid = t.str("part")
        if cid not in cat:
            close = [c for c in cat if c.split("-")[0] in cid or cid.split("-")[0] in c][:5]
            raise t.error("part", f"unknown part {cid!r}",
                          "use a catalogue id from `arena parts`" + (f", e.g. {', '.join(close)}" if close else ""))
        kind = cat[cid].kind
        pos = t.vec("pos", 3, conv=_length)
        rpy = t.vec("rpy", 3, (0.0, 0.0, 0.0))
        port = t.str("port", None)
        ps = PartSpec(pid, cid, kind, pos, rpy, port=port, motor=t.str("motor", None),
                      gear=t.num("gear", 1.0, lo=0.01, hi=100.0),
                      direction=t.str("direction", "clockwise", choices=("clockwise", "counterclockwise")),
                      touch=t.str("touch", None), color=t.str("color", None))
        t.reject_unknown()
        parts.append(ps)
    top.reject_unknown()
    spec = RobotSpec(name, description, author, f, tuple(parts))
    validate_robot(spec)
    return spec


def validate_robot(spec: RobotSpec) -> None:
    f = spec.file

    def key(p: PartSpec, k: str) -> str:
        return f"parts[{spec.parts.index(p)}].{k}"

    bricks = spec.by_kind("brick")
    if len(bricks) != 1:
        raise SpecError(f, "parts", f"a robot needs exactly one brick, found {len(bricks)}",
                        'add one part with part = "ev3-brick"' if not bricks else "remove the extra bricks")
    brick_ports = catalogue()[bricks[0].part].param("motor_ports", list(MOTOR_PORTS))
    used: dict[str, str] = {}
    for p in spec.parts:
        if p.kind == "motor":
            if p.port not in brick_ports:
                raise SpecError(f, key(p, "port"), f"motor {p.id!r} needs a motor port, got {p.port!r}",
                                f"set port to one of {', '.join(brick_ports)}")
        elif p.kind == "sensor":
            if p.port not in SENSOR_PORTS:
                raise SpecError(f, key(p, "port"), f"sensor {p.id!r} needs a sensor port, got {p.port!r}",
                                f"set port to one of {', '.join(SENSOR_PORTS)}")
        elif p.port is not None:
            raise SpecError(f, key(p, "port"), f"a {p.kind} has no port", "remove the port key")
        if p.port is not None:
            if p.port in used:
                raise SpecError(f, key(p, "port"), f"port {p.port} is used by both {used[p.port]!r} and {p.id!r}",
                                "move one of them to a free port")
            used[p.port] = p.id
        if p.kind == "wheel":
            if p.motor is None:
                raise SpecError(f, key(p, "motor"), f"wheel {p.id!r} is not on a motor",
                                "set motor = \"<id of a motor part>\" (free-spinning wheels: use a caster)")
            try:
                m = spec.part(p.motor)
            except KeyError:
                raise SpecError(f, key(p, "motor"), f"wheel {p.id!r} names motor {p.motor!r}, which is not in the build",
                                "use the id of one of the motor parts") from None
            if m.kind != "motor":
                raise SpecError(f, key(p, "motor"), f"{p.motor!r} is a {m.kind}, not a motor",
                                "use the id of one of the motor parts")
        elif p.motor is not None:
            raise SpecError(f, key(p, "motor"), f"only wheels take a motor, {p.id!r} is a {p.kind}", "remove the key")
        if p.kind == "bumper":
            if p.touch is None or p.touch not in {q.id for q in spec.parts if catalogue()[q.part].param("sensor") == "touch"}:
                raise SpecError(f, key(p, "touch"), f"bumper {p.id!r} must name the touch sensor it presses",
                                'set touch = "<id of a touch-sensor part>"')
    wheels = spec.by_kind("wheel")
    driven = {w.motor for w in wheels}
    if len(wheels) != len(driven):
        raise SpecError(f, "parts", "two wheels share one motor", "give each wheel its own motor (or gear)")

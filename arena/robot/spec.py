"""Robot build files: TOML -> a frozen, validated RobotSpec.

Robot frame: x forward, y left, z up; origin on the ground below the middle of the drive axle.
Positions are in mm (or "3 stud" / "2 plate" strings), orientations as roll/pitch/yaw in deg.

A build may start from another one (`extends = "rover"` or a relative path): its parts are
inherited; a [[parts]] entry whose id is already there overrides only the keys it sets (move,
recolour, replace the part), a new id adds a part, and `remove = ["id", ...]` drops parts.
Every problem is collected (`read_robot`) so `arena check` can report them all at once; each
names the file and key path it came from (an inherited key names the file that set it) and a fix.
See docs/robots.md for every key.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from arena.errors import NotFoundError, SpecError
from arena.kit.catalogue import catalogue
from arena.robot.keys import DEFAULT_LIMITS, parse_gear, read_axis, read_color, read_gear, read_limits
from arena.tomlio import Table, cached_load, depends_on, first_problem, load_toml, unknown_key_fix
from arena.units import MOTOR_PORTS, SENSOR_PORTS, parse_length

TOP_KEYS = ("name", "description", "author", "extends", "remove", "parts")
PART_KEYS = ("id", "part", "pos", "rpy", "port", "motor", "gear", "direction", "touch", "color", "hinge", "axis",
             "limits")
DRIVEN_KINDS = ("wheel", "arm")  # parts a motor turns: they take `motor` and `gear`
MAX_PARTS = 2000  # parts in one build, after extends (docs/robots.md); a bigger file is refused at once

__all__ = ["DEFAULT_LIMITS", "MAX_PARTS", "PartSpec", "RobotSpec", "load_robot", "parse_gear", "read_robot",
           "robot_problems", "validate_robot"]


@dataclass(frozen=True)
class PartSpec:
    id: str
    part: str  # catalogue id
    kind: str
    pos: tuple[float, float, float]  # mm
    rpy: tuple[float, float, float]  # deg
    port: str | None = None
    motor: str | None = None  # wheels and arms: id of the motor that turns them
    gear: float = 1.0  # wheels and arms: output turns per motor turn ("12:36" -> 1/3: 3x torque, 1/3 speed)
    direction: str = "clockwise"  # motors: positive direction, pybricks style
    touch: str | None = None  # bumpers: id of the touch sensor they press
    color: str | None = None
    hinge: tuple[float, float, float] | None = None  # arms: pivot, mm, robot frame (default: the motor's axle)
    axis: tuple[float, float, float] = (0.0, 1.0, 0.0)  # arms: hinge axis, robot frame
    limits: tuple[float, float] = DEFAULT_LIMITS  # arms: deg from the built pose (lower, upper)


@dataclass(frozen=True)
class RobotSpec:
    name: str
    description: str
    author: str
    file: str
    parts: tuple[PartSpec, ...]
    extends: tuple[str, ...] = ()  # the chain of files this build extends, nearest first
    # (part id, key) -> (file, key path) where the value was set; for error messages
    where: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def by_kind(self, kind: str) -> list[PartSpec]:
        return [p for p in self.parts if p.kind == kind]

    @property
    def brick(self) -> PartSpec:
        return self.by_kind("brick")[0]

    @property
    def motors(self) -> list[PartSpec]:
        return sorted(self.by_kind("motor"), key=lambda p: p.port or "")

    @property
    def sensors(self) -> list[PartSpec]:
        return sorted(self.by_kind("sensor"), key=lambda p: p.port or "")

    def part(self, pid: str) -> PartSpec:
        for p in self.parts:
            if p.id == pid:
                return p
        raise KeyError(pid)

    def driven_by(self, motor_id: str) -> PartSpec | None:
        """The wheel or arm a motor turns (None: the motor turns a free output)."""
        return next((p for p in self.parts if p.kind in DRIVEN_KINDS and p.motor == motor_id), None)

    def locate(self, pid: str, key: str) -> tuple[str, str]:
        """(file, key path) of a part's key, for error messages."""
        if (pid, key) in self.where:
            return self.where[(pid, key)]
        if (pid, "id") in self.where:
            f, k = self.where[(pid, "id")]
            return f, k.rsplit(".", 1)[0] + f".{key}"
        idx = next((i for i, p in enumerate(self.parts) if p.id == pid), 0)
        return self.file, f"parts[{idx}].{key}"

    @property
    def mass(self) -> float:
        cat = catalogue()
        return sum(cat[p.part].mass for p in self.parts)


def _length(x) -> float:
    return parse_length(x)


# -- reading files (with extends) ---------------------------------------------------------------------
@dataclass
class _Entry:
    data: dict  # merged raw keys
    src: dict  # key -> (file, key path)


class _SrcTable(Table):
    """A Table whose errors name the file and key path each key came from."""

    def __init__(self, entry: _Entry, file: str, path: str):
        super().__init__(entry.data, file, path)
        self.src = entry.src

    def error(self, name: str, problem: str, fix: str = "") -> SpecError:
        base = name.split("[", 1)[0]
        if base in self.src:
            f, k = self.src[base]
            return SpecError(f, k + name[len(base):], problem, fix)
        return super().error(name, problem, fix)


def _resolve_extends(value: str, here: Path) -> Path:
    for cand in (here.parent / value, here.parent / f"{value}.toml"):
        depends_on(cand)  # a file created here later must be seen by a cached load
        if cand.is_file():
            return cand
    from arena.content import resolve  # same layer: finding community content by name

    return resolve("robots", value)


def _read(path: Path, chain: tuple[Path, ...], probs: list[SpecError]) -> tuple[dict, list[_Entry], tuple[str, ...]]:
    """Raw top-level keys (value, file, key) and merged part entries of one file and what it extends."""
    f = str(path)
    data = load_toml(path)  # unreadable: fatal, nothing else to report
    top: dict = {}
    entries: list[_Entry] = []
    chain_files: tuple[str, ...] = ()
    ext = data.get("extends")
    if ext is not None:
        if not isinstance(ext, str):
            probs.append(SpecError(f, "extends", f"expected a string, got {ext!r}",
                                   'write extends = "<robot name or relative path>"'))
        else:
            try:
                base = _resolve_extends(ext, path)
            except NotFoundError as exc:
                probs.append(SpecError(f, "extends", str(exc).split(":")[0],
                                       "use a robot name from `arena list` or a path relative to this file"))
                base = None
            if base is not None:
                real = base.resolve()
                if real in chain:
                    loop = " -> ".join(str(p) for p in (*chain, real))
                    probs.append(SpecError(f, "extends", f"extends makes a cycle: {loop}",
                                           "remove `extends` from one of these files"))
                else:
                    try:
                        top, entries, chain_files = _read(base, (*chain, real), probs)
                    except SpecError as exc:
                        probs.append(exc)
                    chain_files = (str(base), *chain_files)
    for k in ("name", "description", "author"):
        if k in data:
            top[k] = (data[k], f, k)
    rm = data.get("remove")
    if rm is not None:
        if ext is None:
            probs.append(SpecError(f, "remove", "`remove` only works in a build that extends another",
                                   'add extends = "<robot>" or delete the parts from [[parts]] instead'))
        elif not isinstance(rm, list):
            probs.append(SpecError(f, "remove", f"expected a list of part ids, got {rm!r}", 'write remove = ["id", ...]'))
        else:
            for i, rid in enumerate(rm):
                hit = [e for e in entries if e.data.get("id") == rid]
                if not hit:
                    known = ", ".join(str(e.data.get("id")) for e in entries) or "(none)"
                    probs.append(SpecError(f, f"remove[{i}]", f"no inherited part {rid!r} to remove",
                                           f"use one of: {known}"))
                for e in hit:
                    entries.remove(e)
    raw_parts = data.get("parts", [])
    if not isinstance(raw_parts, list):
        probs.append(SpecError(f, "parts", "expected an array of tables", "write each part as [[parts]]"))
        raw_parts = []
    if len(raw_parts) + len(entries) > MAX_PARTS:  # refused before any per-part work
        raise SpecError(f, "parts", f"{len(raw_parts) + len(entries):,} parts, over the limit of {MAX_PARTS:,}",
                        "a kit robot needs far fewer parts: check the file")
    by_id = {e.data.get("id"): e for e in entries}
    own: set[str] = set()
    for i, p in enumerate(raw_parts):
        kp = f"parts[{i}]"
        if not isinstance(p, dict):
            probs.append(SpecError(f, kp, f"expected a table, got {type(p).__name__}", "write each part as [[parts]]"))
            continue
        pid = p.get("id")
        if not isinstance(pid, str) or not pid:
            probs.append(SpecError(f, f"{kp}.id", "missing required key" if pid is None else f"expected a string, got {pid!r}",
                                   'add id = "<a name for this part>"'))
            continue
        if pid in own:
            probs.append(SpecError(f, f"{kp}.id", f"part id {pid!r} is used twice", "give every part a unique id"))
            continue
        own.add(pid)
        src = {k: (f, f"{kp}.{k}") for k in p}
        old = by_id.get(pid)
        if old is not None:  # override the keys it sets
            old.data.update(p)
            old.src.update(src)
        else:
            by_id[pid] = _Entry(dict(p), src)
            entries.append(by_id[pid])
    for k in data:
        if k not in TOP_KEYS:
            probs.append(SpecError(f, str(k), "unknown key", unknown_key_fix(str(k), TOP_KEYS)))
    return top, entries, chain_files


def _part(e: _Entry, f: str, probs: list[SpecError]) -> PartSpec | None:
    """One part from its merged keys; every bad key is recorded; None when any key is bad."""
    path = e.src.get("id", (f, "parts[?].id"))[1].rsplit(".", 1)[0]
    t = _SrcTable(e, e.src.get("id", (f, ""))[0], path)
    cat = catalogue()
    vals: dict = {}

    def get(key, fn):
        try:
            vals[key] = fn()
        except SpecError as exc:
            probs.append(exc)

    get("id", lambda: t.str("id"))
    get("part", lambda: t.str("part"))
    cid = vals.get("part")
    kind = None
    if cid is not None:
        if cid in cat:
            kind = cat[cid].kind
        else:
            close = [c for c in cat if c.split("-")[0] in cid or cid.split("-")[0] in c][:5]
            probs.append(t.error("part", f"unknown part {cid!r}", "use a catalogue id from `arena parts`"
                                 + (f", e.g. {', '.join(close)}" if close else "")))
    get("pos", lambda: t.vec("pos", 3, conv=_length))
    get("rpy", lambda: t.vec("rpy", 3, (0.0, 0.0, 0.0)))
    get("port", lambda: t.str("port", None))
    get("motor", lambda: t.str("motor", None))
    get("gear", lambda: read_gear(t))
    get("direction", lambda: t.str("direction", "clockwise", choices=("clockwise", "counterclockwise")))
    get("touch", lambda: t.str("touch", None))
    get("color", lambda: read_color(t))
    get("hinge", lambda: t.vec("hinge", 3, None, conv=_length))
    get("axis", lambda: read_axis(t))
    get("limits", lambda: read_limits(t))
    for k in e.data:
        if k not in PART_KEYS:
            probs.append(t.error(k, "unknown key", unknown_key_fix(k, PART_KEYS)))
    # keys that only make sense on some kinds of part
    if kind is not None:
        only = {"motor": DRIVEN_KINDS, "gear": DRIVEN_KINDS, "direction": ("motor",), "touch": ("bumper",),
                "hinge": ("arm",), "axis": ("arm",), "limits": ("arm",)}
        for k, kinds in only.items():
            if k in e.data and kind not in kinds:
                probs.append(t.error(k, f"a {kind} takes no `{k}` (only {' and '.join(kinds)} parts do)",
                                     "remove the key"))
    if kind is None or "id" not in vals or "pos" not in vals:
        return None
    # a part with other bad keys is kept (with defaults for them) so the rules across parts still
    # run and report everything; the problems already recorded keep the build from loading
    d = {"rpy": (0.0, 0.0, 0.0), "port": None, "motor": None, "gear": 1.0, "direction": "clockwise", "touch": None,
         "color": None, "hinge": None, "axis": (0.0, 1.0, 0.0), "limits": DEFAULT_LIMITS}
    d.update(vals)
    return PartSpec(d["id"], cid, kind, d["pos"], d["rpy"], port=d["port"], motor=d["motor"], gear=d["gear"],
                    direction=d["direction"], touch=d["touch"], color=d["color"], hinge=d["hinge"], axis=d["axis"],
                    limits=d["limits"])


def read_robot(path: Path) -> tuple[RobotSpec | None, list[SpecError]]:
    """A build file and every problem found in it (all of them, not just the first). The spec is
    None when the file cannot be built at all; otherwise it holds every part that could be read."""
    path = Path(path)
    f = str(path)
    probs: list[SpecError] = []
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError on Python 3.11)
        return None, [SpecError(f, "", "a symbolic link that leads back to itself", "point it at a robot file")]
    try:
        top, entries, chain = _read(path, (real,), probs)
    except SpecError as exc:
        return None, [exc]
    name = top.get("name")
    if name is None:
        probs.append(SpecError(f, "name", "missing required key", 'add name = "<robot name>"'))
    elif not isinstance(name[0], str) or not name[0]:
        probs.append(SpecError(name[1], name[2], f"expected a string, got {name[0]!r}", 'write name = "..."'))
    for k in ("description", "author"):
        if k in top and not isinstance(top[k][0], str):
            probs.append(SpecError(top[k][1], top[k][2], f"expected a string, got {top[k][0]!r}", f'write {k} = "..."'))
    parts: list[PartSpec] = []
    where: dict = {}
    bad: set[str] = set()
    if any(e.key in ("extends", "parts") or re.fullmatch(r"parts\[\d+\]", e.key) for e in probs):
        bad.add("kind:brick")  # the parts that failed may hold the brick: not also "no brick"
    for e in entries:
        ps = _part(e, f, probs)
        if ps is None:
            bad.add(str(e.data.get("id")))
            raw_part = e.data.get("part")
            if isinstance(raw_part, str) and raw_part in catalogue():
                bad.add(f"kind:{catalogue()[raw_part].kind}")  # so a bad brick is not also "missing"
            continue
        parts.append(ps)
        for k, loc in e.src.items():
            where[(ps.id, k)] = loc
    if not entries and not probs:
        probs.append(SpecError(f, "parts", "a robot needs parts", "add [[parts]] tables (see docs/robots.md)"))
    spec = RobotSpec(name[0] if name and isinstance(name[0], str) else path.stem,
                     top.get("description", ("",))[0] if isinstance(top.get("description", ("",))[0], str) else "",
                     top.get("author", ("",))[0] if isinstance(top.get("author", ("",))[0], str) else "",
                     f, tuple(parts), chain, where)
    probs.extend(robot_problems(spec, bad))
    if not bad:  # with a part missing, the parts it held would look loose
        from arena.robot.geometry import attachment_problems  # geometry names RobotSpec: imported late

        probs.extend(attachment_problems(spec))
    return spec, probs


_LOADED: OrderedDict = OrderedDict()  # cached_load's: the specs are frozen, so they can be shared


def load_robot(path: Path) -> RobotSpec:
    """A valid build, or the first problem as a SpecError (the message counts the rest).
    A file loaded before and unchanged since (byte for byte) is not parsed again."""
    return cached_load(_LOADED, path, _load_robot)


def _load_robot(path: Path) -> RobotSpec:
    spec, probs = read_robot(path)
    if probs:
        raise first_problem(probs, path)
    return spec


# -- rules across parts -------------------------------------------------------------------------------
def robot_problems(spec: RobotSpec, unreadable: set[str] = frozenset()) -> list[SpecError]:
    """Every rule that spans parts: one brick, ports, what drives what. References to parts that
    could not be read (`unreadable`) are not reported again."""
    out: list[SpecError] = []
    cat = catalogue()

    def err(p: PartSpec, key: str, problem: str, fix: str) -> None:
        f, k = spec.locate(p.id, key)
        out.append(SpecError(f, k, problem, fix))

    bricks = spec.by_kind("brick")
    if len(bricks) != 1 and not (not bricks and "kind:brick" in unreadable):
        out.append(SpecError(spec.file, "parts", f"a robot needs exactly one brick, found {len(bricks)}",
                             'add one part with part = "ev3-brick"' if not bricks else "remove the extra bricks"))
    brick_ports = cat[bricks[0].part].param("motor_ports", list(MOTOR_PORTS)) if bricks else list(MOTOR_PORTS)
    ids = {p.id: p for p in spec.parts}
    touches = {q.id for q in spec.parts if cat[q.part].param("sensor") == "touch"}
    used: dict[str, str] = {}
    drives: dict[str, str] = {}
    for p in spec.parts:
        if p.kind == "motor":
            if p.port not in brick_ports:
                err(p, "port", f"motor {p.id!r} needs a motor port, got {p.port!r}",
                    f"set port to one of {', '.join(brick_ports)}")
        elif p.kind == "sensor":
            if p.port not in SENSOR_PORTS:
                err(p, "port", f"sensor {p.id!r} needs a sensor port, got {p.port!r}",
                    f"set port to one of {', '.join(SENSOR_PORTS)}")
        elif p.port is not None:
            err(p, "port", f"a {p.kind} has no port", "remove the port key")
        if p.port is not None and (p.kind in ("motor", "sensor")):
            if p.port in used:
                err(p, "port", f"port {p.port} is used by both {used[p.port]!r} and {p.id!r}",
                    "move one of them to a free port")
            else:
                used[p.port] = p.id
        if p.kind in DRIVEN_KINDS:
            what = "wheel" if p.kind == "wheel" else "arm"
            if p.motor is None:
                err(p, "motor", f"{what} {p.id!r} is not on a motor",
                    'set motor = "<id of a motor part>"' + (" (free-spinning wheels: use a caster)" if what == "wheel" else ""))
            elif p.motor in unreadable:
                pass
            elif p.motor not in ids:
                err(p, "motor", f"{what} {p.id!r} names motor {p.motor!r}, which is not in the build",
                    "use the id of one of the motor parts: " + (", ".join(m.id for m in spec.by_kind("motor")) or "(none)"))
            elif ids[p.motor].kind != "motor":
                err(p, "motor", f"{p.motor!r} is a {ids[p.motor].kind}, not a motor", "use the id of one of the motor parts")
            elif p.motor in drives:
                err(p, "motor", f"motor {p.motor!r} already turns {drives[p.motor]!r}",
                    "give each wheel or arm its own motor")
            else:
                drives[p.motor] = p.id
        if p.kind == "bumper" and p.touch not in unreadable:
            if p.touch is None or p.touch not in touches:
                err(p, "touch", f"bumper {p.id!r} must name the touch sensor it presses",
                    'set touch = "<id of a touch-sensor part>"' + (f": {', '.join(sorted(touches))}" if touches else ""))
    return out


def validate_robot(spec: RobotSpec) -> None:
    """Raise the first cross-part problem, if any."""
    probs = robot_problems(spec)
    if probs:
        raise probs[0]

"""Challenge world files: TOML -> a frozen, validated WorldSpec.

World frame: metres in physics, but the file uses mm and deg; origin at the mat centre, x right,
y up as seen from above.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from arena.errors import SpecError
from arena.tomlio import Table, cached_load, depends_on, first_problem, load_toml
from arena.world.checks import mat_problems, path_problems, picture_problems, read_brick, start_problems
from arena.world.shaping import ShapingSpec, read_shaping
from arena.world.terms import TermSpec, read_term

ID_RE = re.compile(r"^[A-Z][A-Za-z0-9]*-v\d+$")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
MAX_PATH_POINTS = 10_000  # control points of one path (and of each variant)
MAX_PATH_JITTER = 1000.0  # mm

@dataclass(frozen=True)
class PathSpec:
    id: str
    kind: str  # "spline" | "polyline"
    points: tuple[tuple[float, float], ...]  # mm
    closed: bool
    width: float  # mm
    color: tuple[int, int, int]
    variants: tuple[tuple[tuple[float, float], ...], ...] = ()  # alternative point lists (mm)
    jitter: float = 0.0  # mm, uniform +- per control point, drawn per layout
    fixed: tuple[int, ...] = ()  # control point indices never jittered
    gaps: tuple[tuple[float, float], ...] = ()  # (at, length) mm along the path: not drawn

    @property
    def randomised(self) -> bool:
        return bool(self.variants) or self.jitter > 0


@dataclass(frozen=True)
class ZoneSpec:
    """A named shape on the mat (mm). Drawn when it has a colour, invisible otherwise."""

    id: str
    shape: str  # "rect" | "circle" | "ring"
    center: tuple[float, float]
    size: tuple[float, float] = (0.0, 0.0)  # rect
    radius: float = 0.0  # circle, ring outer
    inner: float = 0.0  # ring inner
    color: tuple[int, int, int] | None = None

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        """Whether (x, y) in mm lies inside the zone grown by margin (mm; negative shrinks)."""
        dx, dy = x - self.center[0], y - self.center[1]
        if self.shape == "rect":
            return abs(dx) <= self.size[0] / 2 + margin and abs(dy) <= self.size[1] / 2 + margin
        d = math.hypot(dx, dy)
        if d > self.radius + margin:
            return False
        return self.shape == "circle" or d >= self.inner - margin

    def contains_m(self, x: float, y: float, margin: float = 0.0) -> bool:
        """contains() for a point in metres (the physics frame); margin in mm."""
        return self.contains(x * 1000.0, y * 1000.0, margin)


@dataclass(frozen=True)
class ObjectSpec:
    """A dynamic (or, with mass 0, fixed) body: a box or a cylinder, one or `count` copies."""

    id: str
    shape: str  # "box" | "cylinder"
    size: tuple[float, float, float]  # mm: box length, width, height; cylinder diameter, diameter, length
    mass: float  # kg; 0 = fixed in place
    color: tuple[int, int, int]
    friction: float
    pos: tuple[float, float]  # mm
    z: float  # mm: height of the bottom above the floor (negative sinks a bump into it)
    heading: float  # deg
    axis: str  # cylinder axis: "z" upright, "x" lying along its heading
    count: int
    place: str | None  # zone id to place the copies in at random
    avoid: tuple[str, ...]  # zone ids kept clear of random copies
    gap: float  # mm clearance between randomly placed objects
    jitter_pos: float  # mm
    jitter_heading: float  # deg

    @property
    def ids(self) -> tuple[str, ...]:
        """Instance ids: the id itself for one copy, else id.0, id.1, ..."""
        return (self.id,) if self.count == 1 else tuple(f"{self.id}.{k}" for k in range(self.count))

    @property
    def footprint_radius(self) -> float:
        """mm: a circle around the object's footprint (for spacing random placements)."""
        if self.shape == "cylinder" and self.axis == "z":
            return self.size[0] / 2
        if self.shape == "cylinder":
            return math.hypot(self.size[2], self.size[0]) / 2
        return math.hypot(self.size[0], self.size[1]) / 2


@dataclass(frozen=True)
class MazeSpec:
    """A grid maze generated from the layout seed: cells of `cell` mm, walls between them."""

    origin: tuple[float, float]  # mm: the maze's lower-left outer corner
    cells: tuple[int, int]  # columns, rows
    cell: float  # mm
    wall_height: float  # mm
    wall_thickness: float  # mm
    start: tuple[int, int]  # cell (column, row) the generator starts from
    loops: float  # fraction of inner walls removed after carving (0 = a perfect maze)
    color: tuple[int, int, int]

    def cell_center(self, col: int, row: int) -> tuple[float, float]:
        return (self.origin[0] + (col + 0.5) * self.cell, self.origin[1] + (row + 0.5) * self.cell)


@dataclass(frozen=True)
class AreaSpec:
    shape: str  # "rect" | "circle" | "ring"
    color: tuple[int, int, int]
    center: tuple[float, float]  # mm
    size: tuple[float, float] = (0.0, 0.0)  # rect: mm
    radius: float = 0.0  # circle / ring outer: mm
    inner: float = 0.0  # ring inner radius: mm


@dataclass(frozen=True)
class WallSpec:
    start: tuple[float, float]  # mm
    end: tuple[float, float]
    height: float = 100.0
    thickness: float = 20.0
    color: tuple[int, int, int] = (200, 170, 120)


@dataclass(frozen=True)
class StartSpec:
    path: str | None
    at: float  # mm along the path
    pos: tuple[float, float]  # mm, when no path
    heading: float  # deg (0 = +x, counter-clockwise)
    jitter_pos: float  # mm, uniform +-
    jitter_heading: float  # deg, uniform +-


@dataclass(frozen=True)
class WorldSpec:
    id: str
    name: str
    description: str
    author: str
    file: str
    robot: str  # default robot build
    time_limit: float  # s
    max_size: tuple[float, float, float]  # mm: length, width, height
    max_mass: float  # kg
    mat_size: tuple[float, float]  # mm
    mat_resolution: float  # mm per pixel
    mat_color: tuple[int, int, int]
    ambient: float  # % ambient light
    areas: tuple[AreaSpec, ...]
    paths: tuple[PathSpec, ...]
    walls: tuple[WallSpec, ...]
    starts: tuple[StartSpec, ...]
    terms: tuple[TermSpec, ...]
    border: float  # mm height of a wall around the mat; 0 = none
    players: int = 1  # robots in a match (2 for head-to-head worlds such as sumo)
    mat_image: str | None = None  # a printed mat as a picture (PNG/JPEG), stretched over mat_size
    zones: tuple[ZoneSpec, ...] = ()
    objects: tuple[ObjectSpec, ...] = ()
    maze: MazeSpec | None = None
    shaping: tuple[ShapingSpec, ...] = ()  # training-only reward terms (arena.world.shaping)
    presses: tuple[tuple[str, float, float], ...] = ()  # [brick] presses: (button, start s, end s)

    @property
    def object_ids(self) -> tuple[str, ...]:
        """Every object instance in snapshot order."""
        return tuple(i for o in self.objects for i in o.ids)

    def zone(self, zid: str) -> ZoneSpec:
        for z in self.zones:
            if z.id == zid:
                return z
        raise KeyError(zid)

    @property
    def version(self) -> int:
        return int(self.id.rsplit("-v", 1)[1])

    def path(self, pid: str) -> PathSpec:
        for p in self.paths:
            if p.id == pid:
                return p
        raise KeyError(pid)


def _points(t: Table, key: str, pts, closed: bool) -> tuple[tuple[float, float], ...]:
    if not isinstance(pts, list) or len(pts) < (3 if closed else 2):
        raise t.error(key, "a path needs at least 2 points (3 when closed)", "write points = [[x, y], ...] in mm")
    if len(pts) > MAX_PATH_POINTS:
        raise t.error(key, f"{len(pts):,} points, over the limit of {MAX_PATH_POINTS:,}", "use fewer control points")
    out = []
    for i, p in enumerate(pts):
        if not (isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p)):
            raise t.error(f"{key}[{i}]", f"expected [x, y] in mm, got {p!r}", "write each point as [x, y]")
        out.append((float(t.number(f"{key}[{i}][0]", p[0])), float(t.number(f"{key}[{i}][1]", p[1]))))
    return tuple(out)


def _id(t: Table, seen: set, what: str) -> str:
    v = t.str("id")
    if not NAME_RE.match(v):
        raise t.error("id", f"{v!r} is not a valid {what} id", "use letters, digits, - and _, starting with a letter")
    if v in seen:
        raise t.error("id", f"{what} id {v!r} is used twice", f"give every {what} its own id")
    seen.add(v)
    return v


def _path(t: Table, seen: set) -> PathSpec:
    kind = t.str("kind", "spline", choices=("spline", "polyline"))
    closed = t.bool("closed", False)
    pts = _points(t, "points", t.raw("points"), closed)
    variants = []
    raw_var = t.raw("variants", [])
    if not isinstance(raw_var, list):
        raise t.error("variants", "expected a list of point lists", "write variants = [[[x, y], ...], ...]")
    for i, v in enumerate(raw_var):
        variants.append(_points(t, f"variants[{i}]", v, closed))
    jitter = t.num("jitter", 0.0, lo=0.0, hi=MAX_PATH_JITTER)
    fixed = t.nums("fixed", ())
    n_min = min(len(v) for v in (pts, *variants))
    for i, f in enumerate(fixed):
        if f != int(f) or not 0 <= f < n_min:
            raise t.error(f"fixed[{i}]", f"{f} is not a point index", f"use whole numbers from 0 to {n_min - 1}")
    gaps = []
    raw_gaps = t.raw("gaps", [])
    if not isinstance(raw_gaps, list):
        raise t.error("gaps", "expected a list of [at, length] pairs", "write gaps = [[at_mm, length_mm], ...]")
    for i, g in enumerate(raw_gaps):
        if not (isinstance(g, list) and len(g) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                            for x in g) and g[1] > 0):
            raise t.error(f"gaps[{i}]", f"expected [at, length] in mm with length > 0, got {g!r}",
                          "write each gap as [mm along the path, mm long]")
        gaps.append((float(t.number(f"gaps[{i}][0]", g[0])), float(t.number(f"gaps[{i}][1]", g[1]))))
    spec = PathSpec(_id(t, seen, "path"), kind, pts, closed, t.num("width", 20.0, lo=1.0), t.color("color", "black"),
                    tuple(variants), jitter, tuple(int(f) for f in fixed), tuple(gaps))
    t.reject_unknown()
    return spec


def _zone(t: Table, seen: set) -> ZoneSpec:
    zid = _id(t, seen, "zone")
    shape = t.str("shape", choices=("rect", "circle", "ring"))
    color = t.color("color", None) if t.has("color") else None
    t.raw("color", None)
    z = ZoneSpec(zid, shape, t.vec("center", 2), t.vec("size", 2, (0.0, 0.0)), t.num("radius", 0.0, lo=0.0),
                 t.num("inner", 0.0, lo=0.0), color)
    if shape == "rect" and min(z.size) <= 0:
        raise t.error("size", "a rect zone needs a size", "write size = [width, height] in mm")
    if shape != "rect" and z.radius <= 0:
        raise t.error("radius", f"a {shape} zone needs a radius", "write radius = <mm>")
    if shape == "ring" and not 0 < z.inner < z.radius:
        raise t.error("inner", "a ring needs 0 < inner < radius", "write inner = <mm> below the radius")
    t.reject_unknown()
    return z


def _object(t: Table, seen: set, zone_ids: set) -> ObjectSpec:
    oid = _id(t, seen, "object")
    shape = t.str("shape", choices=("box", "cylinder"))
    if shape == "box":
        size = t.vec("size", 3)
    else:
        d, h = t.num("diameter", lo=1.0), t.num("height", lo=1.0)
        size = (d, d, h)
    if min(size) <= 0:
        raise t.error("size", "every side must be positive", "write size = [length, width, height] in mm")
    count = t.int("count", 1, lo=1, hi=100)
    place = t.str("place", None)
    if place is not None and place not in zone_ids:
        raise t.error("place", f"no zone with id {place!r}", f"use one of: {', '.join(sorted(zone_ids)) or '(none)'}")
    avoid = t.strs("avoid", ())
    for i, a in enumerate(avoid):
        if a not in zone_ids:
            raise t.error(f"avoid[{i}]", f"no zone with id {a!r}", f"use one of: {', '.join(sorted(zone_ids))}")
    if place is None and not t.has("pos"):
        raise t.error("pos", "an object needs a position", 'write pos = [x, y] in mm, or place = "<zone id>"')
    if place is None and count > 1:
        raise t.error("count", "several copies need a zone to be placed in", 'add place = "<zone id>"')
    jitter = t.table("jitter", None)
    spec = ObjectSpec(oid, shape, size, t.num("mass", 0.1, lo=0.0, hi=100.0), t.color("color", "#d04040"),
                      t.num("friction", 0.5, lo=0.0, hi=5.0), t.vec("pos", 2, (0.0, 0.0)), t.num("z", 0.0),
                      t.num("heading", 0.0), t.str("axis", "z", choices=("z", "x")) if shape == "cylinder" else "z",
                      count, place, avoid, t.num("gap", 0.0, lo=0.0), jitter.num("pos", 0.0, lo=0.0),
                      jitter.num("heading", 0.0, lo=0.0))
    jitter.reject_unknown()
    t.reject_unknown()
    return spec


def _maze(t: Table) -> MazeSpec:
    cells = t.vec("cells", 2)
    if any(c != int(c) or c < 2 or c > 30 for c in cells):
        raise t.error("cells", f"expected whole numbers from 2 to 30, got {cells}", "write cells = [columns, rows]")
    cols, rows = int(cells[0]), int(cells[1])
    start = t.vec("start", 2, (0.0, 0.0))
    if not (0 <= start[0] < cols and 0 <= start[1] < rows and start[0] == int(start[0]) and start[1] == int(start[1])):
        raise t.error("start", f"{start} is not a cell of a {cols} x {rows} maze", "write start = [column, row] from 0")
    spec = MazeSpec(t.vec("origin", 2), (cols, rows), t.num("cell", 300.0, lo=100.0), t.num("wall_height", 100.0, lo=1.0),
                    t.num("wall_thickness", 10.0, lo=1.0), (int(start[0]), int(start[1])),
                    t.num("loops", 0.0, lo=0.0, hi=1.0), t.color("color", "#f0f0f0"))
    t.reject_unknown()
    return spec


def _raw_id(t: Table) -> str | None:
    """The id an entry that failed to read claims, so references to it are not reported too."""
    v = t.data.get("id")
    return v if isinstance(v, str) else None


def read_world(path: Path) -> tuple[WorldSpec | None, list[SpecError]]:
    """A world file and every problem found in it: each top-level key and each entry of an array
    ([[zones]], [[objects]], [[score]], ...) is read on its own, so one bad entry does not hide the
    next. The spec is None whenever there is a problem."""
    path = Path(path)
    f = str(path)
    try:
        top = Table(load_toml(path), f)
    except SpecError as exc:
        return None, [exc]
    probs: list[SpecError] = []

    def get(fn, default=None):
        try:
            return fn()
        except SpecError as exc:
            probs.append(exc)
            return default

    def each(name: str, read, ids: set | None = None) -> list:
        out = []
        for t in get(lambda: top.tables(name), []):
            v = get(lambda t=t: read(t))
            if v is not None:
                out.append(v)
            elif ids is not None and _raw_id(t):
                ids.add(_raw_id(t))
        return out

    wid = get(lambda: top.str("id"))
    if wid is not None and not ID_RE.match(wid):
        probs.append(top.error("id", f"{wid!r} is not a versioned id", 'use CamelCase with a version, e.g. "LineFollow-v0"'))
    name = get(lambda: top.str("name", path.stem), path.stem)
    limits = get(lambda: top.table("limits", None)) or Table({}, f, "limits")
    mat = get(lambda: top.table("mat"))
    path_ids: set = set()
    paths, areas, mat_size, res, mat_color, mat_image = [], [], None, 2.0, (250, 250, 250), None
    if mat is not None:
        mat_size = get(lambda: mat.vec("size", 2))
        res = get(lambda: mat.num("resolution", 2.0, lo=0.5, hi=20.0), 2.0)
        mat_color = get(lambda: mat.color("color", "white"))
        mat_image = get(lambda: mat.str("image", None))
        if mat_size is not None and mat_problems(mat, mat_size, res):
            probs.extend(mat_problems(mat, mat_size, res))
            mat_size = None  # so nothing else is measured against it
        if mat_image is not None:
            depends_on(path.parent / mat_image)  # as written: a re-pointed symlink is a change
            img = (path.parent / mat_image).resolve()
            if img.suffix.lower() not in (".png", ".jpg", ".jpeg") or not img.is_file():
                probs.append(mat.error("image", f"no PNG or JPEG picture at {img}",
                                       "give a .png or .jpg path relative to the world file"))
            else:
                probs.extend(picture_problems(mat, img))
            mat_image = str(img)
        for t in get(lambda: mat.tables("paths"), []):
            pth = get(lambda t=t: _path(t, path_ids))
            if pth is not None:
                paths.append(pth)
                probs.extend(path_problems(t, pth, mat_size) if mat_size is not None else [])
            elif _raw_id(t):
                path_ids.add(_raw_id(t))
        areas = [a for a in (get(lambda t=t: _area(t)) for t in get(lambda: mat.tables("areas"), [])) if a is not None]
        probs.extend(mat.unknown())
    zone_ids: set = set()
    zones = each("zones", lambda t: _zone(t, zone_ids), zone_ids)
    object_ids: set = set()
    objects = each("objects", lambda t: _object(t, object_ids, zone_ids), object_ids)
    for o in objects:
        object_ids.update(o.ids)
    walls = each("walls", _wall)
    maze = get(lambda: _maze(top.table("maze"))) if top.has("maze") else None
    start_tables = get(lambda: top.tables("start"), [])
    starts = []
    for t in start_tables:
        st = get(lambda t=t: _start(t, path_ids))
        if st is not None:
            starts.append((t, st))
    if not start_tables and not any(e.key == "start" for e in probs):
        probs.append(top.error("start", "a world needs at least one start pose", "add a [[start]] table with pos or path"))
    if mat_size is not None:
        probs.extend(start_problems(starts, mat_size))
    ids = {"paths": path_ids, "zones": zone_ids, "objects": object_ids}
    names: set = set()
    score_tables = get(lambda: top.tables("score"), [])
    terms = each("score", lambda t: read_term(t, ids, names))
    shaping_names: set = set()
    shaping = each("shaping", lambda t: read_shaping(t, ids, shaping_names))
    if not score_tables and not any(e.key == "score" for e in probs):
        probs.append(top.error("score", "a world needs at least one score term", "add a [[score]] table"))
    players = get(lambda: top.int("players", 1, lo=1, hi=8), 1)
    if start_tables and len(start_tables) < players:
        probs.append(top.error("start", f"{players} players need {players} start poses, found {len(start_tables)}",
                               "add a [[start]] table per player"))
    vals = {k: get(fn) for k, fn in (
        ("description", lambda: top.str("description", "")), ("author", lambda: top.str("author", "")),
        ("robot", lambda: top.str("robot", "rover")), ("time_limit", lambda: top.num("time_limit", lo=1.0, hi=3600.0)),
        ("max_size", lambda: limits.vec("size", 3, (250.0, 250.0, 250.0))),
        ("max_mass", lambda: limits.num("mass", 1.5, lo=0.01)), ("ambient", lambda: top.num("ambient", 10.0, lo=0.0, hi=100.0)),
        ("border", lambda: top.num("border", 0.0, lo=0.0)))}
    presses, brick_probs = read_brick(top, vals["time_limit"])
    probs.extend(brick_probs)
    probs.extend(limits.unknown())
    probs.extend(top.unknown(("maze",)))
    if probs:
        return None, probs
    return WorldSpec(
        id=wid, name=name, file=f, mat_size=mat_size, mat_resolution=res, mat_color=mat_color, mat_image=mat_image,
        areas=tuple(areas), paths=tuple(paths), walls=tuple(walls), starts=tuple(s for _, s in starts),
        terms=tuple(terms), players=players, zones=tuple(zones), objects=tuple(objects), maze=maze,
        shaping=tuple(shaping), presses=presses, **vals), []


_LOADED: OrderedDict = OrderedDict()  # cached_load's: the specs are frozen, so they can be shared


def load_world(path: Path) -> WorldSpec:
    """A valid world, or the first problem as a SpecError (the message counts the rest).
    A file loaded before and unchanged since (byte for byte) is not parsed again."""
    return cached_load(_LOADED, path, _load_world)


def _load_world(path: Path) -> WorldSpec:
    spec, probs = read_world(path)
    if probs:
        raise first_problem(probs, path)
    return spec


def _area(t: Table) -> AreaSpec:
    shape = t.str("shape", choices=("rect", "circle", "ring"))
    area = AreaSpec(shape, t.color("color", "black"), t.vec("center", 2), t.vec("size", 2, (0.0, 0.0)),
                    t.num("radius", 0.0, lo=0.0), t.num("inner", 0.0, lo=0.0))
    t.reject_unknown()
    return area


def _wall(t: Table) -> WallSpec:
    wall = WallSpec(t.vec("start", 2), t.vec("end", 2), t.num("height", 100.0, lo=1.0),
                    t.num("thickness", 20.0, lo=1.0), t.color("color", "#c8aa78"))
    t.reject_unknown()
    return wall


def _start(t: Table, path_ids: set) -> StartSpec:
    p = t.str("path", None)
    if p is not None and p not in path_ids:
        raise t.error("path", f"no path with id {p!r}", f"use one of: {', '.join(sorted(path_ids)) or '(none defined)'}")
    jitter = t.table("jitter", None)
    st = StartSpec(p, t.num("at", 0.0), t.vec("pos", 2, (0.0, 0.0)), t.num("heading", 0.0),
                   jitter.num("pos", 0.0, lo=0.0), jitter.num("heading", 0.0, lo=0.0))
    jitter.reject_unknown()
    t.reject_unknown()
    return st


def check_robot_fits(world: WorldSpec, robot_name: str, size_mm: tuple[float, float, float], mass: float) -> None:
    """Raise SpecError when a robot is over the world's size or mass limits."""
    for i, (have, lim) in enumerate(zip(size_mm, world.max_size, strict=True)):
        if have > lim + 1e-6:
            axis = ("length", "width", "height")[i]
            raise SpecError(world.file, "limits.size", f"robot {robot_name!r} is {have:.0f} mm in {axis}, over the "
                            f"world's {lim:.0f} mm limit", "make the robot smaller or use another world")
    if mass > world.max_mass + 1e-9:
        raise SpecError(world.file, "limits.mass", f"robot {robot_name!r} weighs {mass:.3f} kg, over the world's "
                        f"{world.max_mass} kg limit", "remove parts or use another world")

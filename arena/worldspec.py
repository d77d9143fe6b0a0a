"""Challenge world files (layer 1): TOML -> a frozen, validated WorldSpec.

World frame: metres in physics, but the file uses mm and deg; origin at the mat centre, x right,
y up as seen from above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SpecError
from .mat import parse_color
from .tomlio import Table, load_toml

ID_RE = re.compile(r"^[A-Z][A-Za-z0-9]*-v\d+$")
TERM_KINDS = ("path_progress", "time")


@dataclass(frozen=True)
class PathSpec:
    id: str
    kind: str  # "spline" | "polyline"
    points: tuple[tuple[float, float], ...]  # mm
    closed: bool
    width: float  # mm
    color: tuple[int, int, int]


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
class TermSpec:
    name: str
    kind: str
    weight: float
    params: dict = field(default_factory=dict, compare=False, hash=False)


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

    @property
    def version(self) -> int:
        return int(self.id.rsplit("-v", 1)[1])

    def path(self, pid: str) -> PathSpec:
        for p in self.paths:
            if p.id == pid:
                return p
        raise KeyError(pid)


def _color(t: Table, key: str, default: str) -> tuple[int, int, int]:
    v = t.str(key, default)
    try:
        return parse_color(v)
    except ValueError as exc:
        raise t.error(key, str(exc)) from None


def load_world(path: Path) -> WorldSpec:
    path = Path(path)
    f = str(path)
    top = Table(load_toml(path), f)
    wid = top.str("id")
    if not ID_RE.match(wid):
        raise top.error("id", f"{wid!r} is not a versioned id", 'use CamelCase with a version, e.g. "LineFollow-v0"')
    name = top.str("name", path.stem)
    limits = top.table("limits", None)
    mat = top.table("mat")
    mat_size = mat.vec("size", 2)
    res = mat.num("resolution", 2.0, lo=0.5, hi=20.0)
    mat_color = _color(mat, "color", "white")
    paths = []
    for t in mat.tables("paths"):
        kind = t.str("kind", "spline", choices=("spline", "polyline"))
        pts = t.raw("points")
        if not isinstance(pts, list) or len(pts) < (3 if t.bool("closed", False) else 2):
            raise t.error("points", "a path needs at least 2 points (3 when closed)", "write points = [[x, y], ...] in mm")
        tp = []
        for i, p in enumerate(pts):
            if not (isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p)):
                raise t.error(f"points[{i}]", f"expected [x, y] in mm, got {p!r}", "write each point as [x, y]")
            tp.append((float(p[0]), float(p[1])))
        paths.append(PathSpec(t.str("id"), kind, tuple(tp), t.bool("closed", False), t.num("width", 20.0, lo=1.0),
                              _color(t, "color", "black")))
        t.reject_unknown()
    areas = []
    for t in mat.tables("areas"):
        shape = t.str("shape", choices=("rect", "circle", "ring"))
        areas.append(AreaSpec(shape, _color(t, "color", "black"), t.vec("center", 2),
                              t.vec("size", 2, (0.0, 0.0)), t.num("radius", 0.0, lo=0.0), t.num("inner", 0.0, lo=0.0)))
        t.reject_unknown()
    mat.reject_unknown()
    walls = []
    for t in top.tables("walls"):
        walls.append(WallSpec(t.vec("start", 2), t.vec("end", 2), t.num("height", 100.0, lo=1.0),
                              t.num("thickness", 20.0, lo=1.0), _color(t, "color", "#c8aa78")))
        t.reject_unknown()
    path_ids = {p.id for p in paths}
    starts = []
    for t in top.tables("start"):
        p = t.str("path", None)
        if p is not None and p not in path_ids:
            raise t.error("path", f"no path with id {p!r}", f"use one of: {', '.join(sorted(path_ids)) or '(none defined)'}")
        jitter = t.table("jitter", None)
        starts.append(StartSpec(p, t.num("at", 0.0), t.vec("pos", 2, (0.0, 0.0)), t.num("heading", 0.0),
                                jitter.num("pos", 0.0, lo=0.0), jitter.num("heading", 0.0, lo=0.0)))
        jitter.reject_unknown()
        t.reject_unknown()
    if not starts:
        raise top.error("start", "a world needs at least one start pose", "add a [[start]] table with pos or path")
    terms = []
    for t in top.tables("score"):
        kind = t.str("kind", choices=TERM_KINDS)
        params = {k: v for k, v in t.data.items() if k not in ("name", "kind", "weight")}
        if kind == "path_progress":
            pid = t.str("path")
            if pid not in path_ids:
                raise t.error("path", f"no path with id {pid!r}", f"use one of: {', '.join(sorted(path_ids))}")
            t.num("finish", 0.0, lo=0.0)
            t.num("tolerance", 60.0, lo=1.0)
        terms.append(TermSpec(t.str("name"), kind, t.num("weight", 1.0), params))
        t.reject_unknown()
    if not terms:
        raise top.error("score", "a world needs at least one score term", "add a [[score]] table")
    players = top.int("players", 1, lo=1, hi=8)
    if len(starts) < players:
        raise top.error("start", f"{players} players need {players} start poses, found {len(starts)}",
                        "add a [[start]] table per player")
    spec = WorldSpec(
        id=wid, name=name, description=top.str("description", ""), author=top.str("author", ""), file=f,
        robot=top.str("robot", "rover"), time_limit=top.num("time_limit", lo=1.0, hi=3600.0),
        max_size=limits.vec("size", 3, (250.0, 250.0, 250.0)), max_mass=limits.num("mass", 1.5, lo=0.01),
        mat_size=mat_size, mat_resolution=res, mat_color=mat_color,
        ambient=top.num("ambient", 10.0, lo=0.0, hi=100.0), areas=tuple(areas), paths=tuple(paths),
        walls=tuple(walls), starts=tuple(starts), terms=tuple(terms), border=top.num("border", 0.0, lo=0.0),
        players=players)
    limits.reject_unknown()
    top.reject_unknown()
    return spec


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

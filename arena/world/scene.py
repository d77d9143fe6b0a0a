"""A challenge world in the simulator: the seeded layout, the mat, the scene.

World.layout(rng) draws everything the seed decides (path variants and jittered control points,
the maze, object placements, start poses) from the match's layout generator: the only source of
randomness here. The mat is a function of the layout, cached by its key; bodies are rebuilt each
episode.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from arena.kit.sensors import UltrasonicSensor
from arena.sim import GEOM_BOX, GEOM_CYLINDER, Shape, Sim, quat_from_rpy
from arena.world.mat import Mat, catmull_rom, resample
from arena.world.spec import MazeSpec, ObjectSpec, PathSpec, WallSpec, WorldSpec


def _nearest_in(xs: np.ndarray, ys: np.ndarray, lo: int, hi: int, x: float, y: float) -> tuple[int, float]:
    """(k, d): the first k in [0, hi - lo) minimising the distance from (x, y) to point lo + k."""
    d = np.hypot(xs[lo:hi] - x, ys[lo:hi] - y)
    k = int(d.argmin())
    return k, float(d[k])


try:  # the compiled twin of _nearest_in, when the optional build is present
    from arena._fastpath import nearest_in
except ImportError:
    nearest_in = _nearest_in


@dataclass(frozen=True)
class TrackPath:
    """A path densely sampled in metres, with arclength, for drawing and progress scoring."""

    id: str
    points: np.ndarray  # (N, 2) m, evenly spaced
    closed: bool
    length: float  # m
    spacing: float  # m

    def nearest(self, x: float, y: float, around: int | None = None, window: int = 0) -> tuple[int, float]:
        """Index of the nearest point and its distance (m), optionally only near index `around`."""
        n = len(self.points)
        if around is None or window <= 0 or window * 2 >= n:
            d = np.hypot(self.points[:, 0] - x, self.points[:, 1] - y)
            i = int(np.argmin(d))
            return i, float(d[i])
        xs, ys, pad = self._coords
        if self.closed:  # a padded copy makes the wrapped window one contiguous slice
            lo, hi = around - window + pad, around + window + 1 + pad
        else:
            lo, hi = max(0, around - window), min(n, around + window + 1)
        k, d = nearest_in(xs, ys, lo, hi, x, y)
        return (lo + k - pad) % n if self.closed else lo + k, d

    @cached_property
    def _coords(self) -> tuple[np.ndarray, np.ndarray, int]:
        """x and y as contiguous arrays; a closed path's are padded with half its points from the
        other end on each side, so any window of up to that half is a slice."""
        pts, pad = self.points, len(self.points) // 2 if self.closed else 0
        if pad:
            pts = np.vstack([pts[-pad:], pts, pts[:pad]])
        return np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1]), pad

    def heading(self, i: int) -> float:
        n = len(self.points)
        a, b = self.points[i % n], self.points[(i + 1) % n] if self.closed or i + 1 < n else self.points[i]
        if i + 1 >= n and not self.closed:
            a, b = self.points[i - 1], self.points[i]
        return math.atan2(b[1] - a[1], b[0] - a[0])


def build_path(p: PathSpec, spacing: float = 0.005) -> TrackPath:
    pts = np.array(p.points) / 1000.0
    if p.kind == "spline":
        dense = catmull_rom(pts, p.closed, spacing)
    else:
        dense = resample(np.vstack([pts, pts[:1]]) if p.closed else pts, spacing)
    if p.closed:  # the last point repeats the first: drop it so indices wrap cleanly
        dense = dense[:-1]
    seg = np.linalg.norm(np.diff(np.vstack([dense, dense[:1]]) if p.closed else dense, axis=0), axis=1)
    return TrackPath(p.id, dense, p.closed, float(seg.sum()), float(seg.mean()))


def _gap_mask(tp: TrackPath, gaps: tuple[tuple[float, float], ...]) -> np.ndarray:
    """True for the path samples that are drawn (not inside a gap)."""
    s = np.arange(len(tp.points)) * tp.spacing * 1000.0  # mm along the path
    keep = np.ones(len(tp.points), dtype=bool)
    for at, length in gaps:
        keep &= ~((s >= at) & (s <= at + length))
    return keep


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges where mask is True."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def load_picture(path: str, world_file: str) -> np.ndarray:
    """A mat picture as RGB uint8 (alpha dropped, grey expanded)."""
    import imageio.v3 as iio

    from arena.errors import SpecError

    try:
        img = np.asarray(iio.imread(path))
    except Exception as exc:  # noqa: BLE001 - any decoder error is the file's problem
        raise SpecError(world_file, "mat.image", f"cannot read the picture {path} ({exc})",
                        "save it as an ordinary RGB PNG or JPEG") from None
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.dtype != np.uint8:
        img = (img.astype(np.float64) / max(1, img.max()) * 255).astype(np.uint8)
    return img[..., :3]


def draw_mat(spec: WorldSpec, paths: dict[str, TrackPath]) -> Mat:
    """The printed mat for one layout: areas, then coloured zones, then the paths (minus gaps)."""
    w, h = spec.mat_size
    mat = Mat(w / 1000.0, h / 1000.0, spec.mat_resolution / 1000.0, spec.mat_color)
    if spec.mat_image:
        mat.paint_image(load_picture(spec.mat_image, spec.file))
    shapes = list(spec.areas) + [z for z in spec.zones if z.color is not None]
    for a in shapes:
        cx, cy = a.center[0] / 1000.0, a.center[1] / 1000.0
        if a.shape == "rect":
            sx, sy = a.size[0] / 2000.0, a.size[1] / 2000.0
            mat.fill_rect(cx - sx, cy - sy, cx + sx, cy + sy, a.color)
        else:
            mat.fill_circle(cx, cy, a.radius / 1000.0, a.color, inner=a.inner / 1000.0 if a.shape == "ring" else 0.0)
    for p in spec.paths:
        tp = paths[p.id]
        pts = tp.points
        mask = _gap_mask(tp, p.gaps)
        if tp.closed:
            pts, mask = np.vstack([pts, pts[:1]]), np.r_[mask, mask[:1]]
        for a, b in _runs(mask):
            if b - a >= 2:
                mat.stroke(pts[a:b], p.width / 1000.0, p.color)
    return mat


@dataclass(frozen=True)
class StartPose:
    x: float  # m
    y: float
    heading: float  # rad


@dataclass(frozen=True)
class Placement:
    """Where an object instance starts (m, rad)."""

    id: str
    spec: ObjectSpec
    x: float
    y: float
    heading: float


@dataclass(frozen=True)
class Layout:
    """Everything the seed decides about one episode's world. The same seed gives every entrant
    the same Layout. `mat_key` names the mat it needs: equal keys share one drawn mat."""

    spec: WorldSpec
    paths: dict[str, TrackPath]
    mat_key: tuple
    walls: tuple[WallSpec, ...]  # every static wall: the file's, the border's, the maze's
    objects: tuple[Placement, ...]
    starts: tuple[StartPose, ...]

    @property
    def object_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.objects)


def border_walls(spec: WorldSpec) -> list[WallSpec]:
    if spec.border <= 0:
        return []
    w, h = spec.mat_size[0] / 2, spec.mat_size[1] / 2
    corners = [(-w, -h), (w, -h), (w, h), (-w, h)]
    return [WallSpec(corners[i], corners[(i + 1) % 4], spec.border, 20.0) for i in range(4)]


def generate_maze(m: MazeSpec, rng: np.random.Generator) -> list[WallSpec]:
    """A maze by a randomised depth-first carve from m.start, then m.loops of the remaining inner
    walls knocked out. Walls are returned as merged straight runs (fewer bodies, fewer seams)."""
    cols, rows = m.cells
    # east[c][r]: wall on the east side of cell (c, r) (c < cols - 1); north likewise (r < rows - 1)
    east = np.ones((cols - 1, rows), dtype=bool)
    north = np.ones((cols, rows - 1), dtype=bool)
    seen = np.zeros((cols, rows), dtype=bool)
    stack = [m.start]
    seen[m.start] = True
    while stack:
        c, r = stack[-1]
        nbrs = [(c + dc, r + dr) for dc, dr in ((1, 0), (-1, 0), (0, 1), (0, -1))
                if 0 <= c + dc < cols and 0 <= r + dr < rows and not seen[c + dc, r + dr]]
        if not nbrs:
            stack.pop()
            continue
        nc, nr = nbrs[int(rng.integers(len(nbrs)))]
        if nc != c:
            east[min(c, nc), r] = False
        else:
            north[c, min(r, nr)] = False
        seen[nc, nr] = True
        stack.append((nc, nr))
    inner = [("e", c, r) for c in range(cols - 1) for r in range(rows) if east[c, r]] + \
            [("n", c, r) for c in range(cols) for r in range(rows - 1) if north[c, r]]
    n_open = int(round(m.loops * len(inner)))
    if n_open:
        for k in rng.choice(len(inner), n_open, replace=False):
            kind, c, r = inner[int(k)]
            (east if kind == "e" else north)[c, r] = False
    x0, y0, s = m.origin[0], m.origin[1], m.cell
    walls: list[WallSpec] = []

    def wall(a, b):
        walls.append(WallSpec(a, b, m.wall_height, m.wall_thickness, m.color))

    # vertical lines x = x0 + k s (k = 0..cols): runs of consecutive walled rows
    for k in range(cols + 1):
        col = np.ones(rows, dtype=bool) if k in (0, cols) else east[k - 1]
        for a, b in _runs(col):
            wall((x0 + k * s, y0 + a * s), (x0 + k * s, y0 + b * s))
    for k in range(rows + 1):
        row = np.ones(cols, dtype=bool) if k in (0, rows) else north[:, k - 1]
        for a, b in _runs(row):
            wall((x0 + a * s, y0 + k * s), (x0 + b * s, y0 + k * s))
    return walls


def _place_objects(spec: WorldSpec, rng: np.random.Generator) -> list[Placement]:
    """Fixed objects at their position (plus jitter); `place`d copies uniformly in their zone, kept
    `gap` apart from each other and clear of the `avoid` zones (best of 200 tries each)."""
    out: list[Placement] = []
    taken: list[tuple[float, float, float, float]] = []  # x, y (mm), radius, gap
    for o in spec.objects:
        r = o.footprint_radius
        for oid in o.ids:
            if o.place is None:
                jx, jy = rng.uniform(-1.0, 1.0, 2) * o.jitter_pos
                x, y = o.pos[0] + jx, o.pos[1] + jy
            else:
                z = spec.zone(o.place)
                best, best_score = None, -math.inf
                for _ in range(200):
                    if z.shape == "rect":
                        x = z.center[0] + rng.uniform(-0.5, 0.5) * max(z.size[0] - 2 * r, 0.0)
                        y = z.center[1] + rng.uniform(-0.5, 0.5) * max(z.size[1] - 2 * r, 0.0)
                    else:
                        rad = math.sqrt(rng.uniform((z.inner / z.radius) ** 2 if z.shape == "ring" else 0.0, 1.0))
                        a = rng.uniform(0, 2 * math.pi)
                        x = z.center[0] + math.cos(a) * rad * max(z.radius - r, 0.0)
                        y = z.center[1] + math.sin(a) * rad * max(z.radius - r, 0.0)
                    clear = min([math.hypot(x - tx, y - ty) - r - tr - max(o.gap, tg) for tx, ty, tr, tg in taken]
                                + [1e9])
                    if any(spec.zone(a).contains(x, y, margin=r) for a in o.avoid):
                        clear = min(clear, -1e6)
                    if clear >= 0:
                        best = (x, y)
                        break
                    if clear > best_score:
                        best, best_score = (x, y), clear
                x, y = best
            heading = o.heading + rng.uniform(-1.0, 1.0) * o.jitter_heading
            taken.append((x, y, r, o.gap))
            out.append(Placement(oid, o, x / 1000.0, y / 1000.0, math.radians(heading)))
    return out


# Drawn mats, shared by every World in this process (a tournament worker builds a new Match, so a
# new World, for each match): (what the mat is drawn from, layout.mat_key) -> Mat. Mats are read
# only once drawn. Least recently used first.
_MATS: dict[tuple, Mat] = {}
MAT_CACHE = 8


def _mat_source(spec: WorldSpec) -> str:
    """Everything draw_mat reads from a world spec besides the layout's paths, as one string (the
    specs are frozen dataclasses of plain values, so equal reprs mean equal mats); a picture is
    named with its size and modification time, so an edited picture is drawn again."""
    picture = None
    if spec.mat_image:
        try:
            st = os.stat(spec.mat_image)
            picture = (spec.mat_image, st.st_size, st.st_mtime_ns)
        except OSError:
            picture = (spec.mat_image, spec.file)  # draw_mat reports the unreadable picture
    return repr((spec.mat_size, spec.mat_resolution, spec.mat_color, picture, spec.areas, spec.zones, spec.paths))


class World:
    """A world file made ready for the simulator. The mat is a function of the layout, drawn once per
    distinct layout (cached by its key, across every World of this process), so a world without
    path randomisation draws it once."""

    def __init__(self, spec: WorldSpec):
        self.spec = spec
        self.paths = {p.id: build_path(p) for p in spec.paths}  # the file's own geometry (variant 0)
        self._mat_source = _mat_source(spec)
        self._path_cache: dict[tuple, TrackPath] = {}
        self.default_layout = self._layout_from(self.paths, (), [], self._fixed_objects(), self._fixed_starts())
        self.ambient = spec.ambient

    @property
    def mat(self) -> Mat:
        """The mat of the file's own geometry (the layout without randomisation)."""
        return self.mat_for(self.default_layout)

    def mat_for(self, layout: Layout) -> Mat:
        key = (self._mat_source, layout.mat_key)
        m = _MATS.pop(key, None)
        if m is None:
            m = draw_mat(self.spec, layout.paths)
            while len(_MATS) >= MAT_CACHE:
                _MATS.pop(next(iter(_MATS)))
        _MATS[key] = m  # now the most recently used
        return m

    # -- the seeded layout ---------------------------------------------------------------------------
    def layout(self, rng: np.random.Generator) -> Layout:
        """Draw one episode's layout. Paths, the maze and the objects each draw from their own child
        of `rng` (so adding objects to a file does not change its maze); start poses draw from `rng`
        itself, after those, in player order."""
        r_paths, r_maze, r_objects = rng.spawn(3)
        paths, key = {}, []
        for p in self.spec.paths:
            if not p.randomised:
                paths[p.id] = self.paths[p.id]
                continue
            choice = int(r_paths.integers(1 + len(p.variants))) if p.variants else 0
            pts = np.array((p.points, *p.variants)[choice], dtype=float)
            if p.jitter > 0:
                off = r_paths.uniform(-1.0, 1.0, pts.shape) * p.jitter
                off[list(p.fixed)] = 0.0
                pts = np.round(pts + off, 1)  # 0.1 mm: the key stays short and exact
            pkey = (p.id, pts.tobytes())
            tp = self._path_cache.get(pkey)
            if tp is None:
                if len(self._path_cache) >= 4 * MAT_CACHE:
                    self._path_cache.pop(next(iter(self._path_cache)))
                tp = self._path_cache[pkey] = build_path(replace(p, points=tuple(map(tuple, pts))))
            paths[p.id] = tp
            key.append(pkey)
        maze = generate_maze(self.spec.maze, r_maze) if self.spec.maze is not None else []
        objects = _place_objects(self.spec, r_objects)
        starts = [self._start_pose(i, rng, paths) for i in range(max(self.spec.players, len(self.spec.starts)))]
        return self._layout_from(paths, tuple(key), maze, objects, starts)

    def _layout_from(self, paths, key, maze, objects, starts) -> Layout:
        walls = tuple(self.spec.walls) + tuple(border_walls(self.spec)) + tuple(maze)
        return Layout(self.spec, paths, key, walls, tuple(objects), tuple(starts))

    def _fixed_objects(self) -> list[Placement]:
        return _place_objects(self.spec, np.random.default_rng(0)) if self.spec.objects else []

    def _fixed_starts(self) -> list[StartPose]:
        zero = np.random.default_rng(0)
        return [self._start_pose(i, zero, self.paths, jitter=False) for i in range(len(self.spec.starts))]

    def _start_pose(self, index: int, rng: np.random.Generator, paths: dict[str, TrackPath],
                    jitter: bool = True) -> StartPose:
        s = self.spec.starts[index % len(self.spec.starts)]
        if s.path is not None:
            tp = paths[s.path]
            i = int(round(s.at / 1000.0 / tp.spacing)) % len(tp.points)
            x, y = tp.points[i]
            heading = tp.heading(i) + math.radians(s.heading)
        else:
            x, y = s.pos[0] / 1000.0, s.pos[1] / 1000.0
            heading = math.radians(s.heading)
        # jitter is drawn even when zero so the generator's stream does not depend on the file
        jx, jy = rng.uniform(-1.0, 1.0, 2) * s.jitter_pos / 1000.0
        jh = rng.uniform(-1.0, 1.0) * math.radians(s.jitter_heading)
        if not jitter:
            jx = jy = jh = 0.0
        return StartPose(float(x + jx), float(y + jy), float(heading + jh))

    def start_pose(self, index: int, rng: np.random.Generator) -> StartPose:
        """One start pose on the file's own paths (kept for callers that need no full layout)."""
        return self._start_pose(index, rng, self.paths)

    # -- the scene in the simulator ------------------------------------------------------------------
    def build(self, sim: Sim, layout: Layout | None = None) -> list[int]:
        """Add the ground and the static walls; returns the static body ids."""
        layout = layout or self.default_layout
        bodies = [sim.add_ground()]
        for wall in layout.walls:
            (x0, y0), (x1, y1) = np.array(wall.start) / 1000.0, np.array(wall.end) / 1000.0
            length = math.hypot(x1 - x0, y1 - y0)
            th, hgt = wall.thickness / 1000.0, wall.height / 1000.0
            yaw = math.atan2(y1 - y0, x1 - x0)
            shape = Shape(GEOM_BOX, (0.0, 0.0, 0.0), half_extents=(length / 2 + th / 2, th / 2, hgt / 2))
            bodies.append(sim.add_static((shape,), ((x0 + x1) / 2, (y0 + y1) / 2, hgt / 2), quat_from_rpy((0, 0, yaw))))
        return bodies

    def add_objects(self, sim: Sim, layout: Layout) -> list[int]:
        """Add every object instance at its placement; returns body ids in snapshot order."""
        out = []
        for pl in layout.objects:
            o = pl.spec
            sx, sy, sz = (v / 1000.0 for v in o.size)
            if o.shape == "box":
                shape, half_h = Shape(GEOM_BOX, (0.0, 0.0, 0.0), half_extents=(sx / 2, sy / 2, sz / 2)), sz / 2
                rpy = (0.0, 0.0, pl.heading)
            elif o.axis == "z":
                shape, half_h = Shape(GEOM_CYLINDER, (0.0, 0.0, 0.0), radius=sx / 2, length=sz), sz / 2
                rpy = (0.0, 0.0, pl.heading)
            else:  # lying along its heading: pybullet cylinders run along z, so pitch it onto x
                shape, half_h = Shape(GEOM_CYLINDER, (0.0, 0.0, 0.0), radius=sx / 2, length=sz), sx / 2
                rpy = (0.0, math.pi / 2, pl.heading)
            pos = (pl.x, pl.y, o.z / 1000.0 + half_h + (0.0005 if o.mass > 0 else 0.0))
            out.append(sim.add_object(shape, o.mass, pos, quat_from_rpy(rpy), o.friction))
        return out


def seed_streams(seed_seq: np.random.SeedSequence) -> tuple[np.random.Generator, np.random.SeedSequence]:
    """The layout generator (shared by every player) and the device noise seed of a match seed."""
    layout_ss, device_ss = seed_seq.spawn(2)
    return np.random.default_rng(layout_ss), device_ss


def layout_for_seed(world: World, seed: int):
    """The layout a match with this seed plays on (what `arena world show --seed` draws)."""
    return world.layout(seed_streams(np.random.SeedSequence(seed))[0])


# -- ultrasonic sensors hearing each other (pybricks presence()) ------------------------------------
def sonars_of(robot) -> dict:
    """A robot's ultrasonic sensors by port."""
    return {p: s for p, s in robot.sensors.items() if isinstance(s, UltrasonicSensor)}


def set_emitters(sonars: dict, commands: dict) -> dict:
    """Apply a step's ultrasonic commands ({"S4": {"emit": 0 | 1}}, validated by the protocol) to
    the sensors; returns the rest: the motor commands (the same dict when there is no such entry)."""
    rest = None
    for port, sonar in sonars.items():
        cmd = commands.get(port)
        if cmd is not None:
            sonar.emitting = bool(cmd["emit"])
            if rest is None:
                rest = dict(commands)
            del rest[port]
    return commands if rest is None else rest


def hear(bodies: list[int], sonars: list[dict], sim, obs: list[dict]) -> None:
    """Set `<port>/presence` (1.0 or 0.0) in each robot's readings for each ultrasonic sensor: 1 when
    an emitting sensor of another robot faces it (UltrasonicSensor.faces: within range, each in
    the other's beam) and the straight line between them reaches it past nothing but the two
    robots themselves. bodies: each robot's body id; sim: the Sim (its rays())."""
    for i, mine in enumerate(sonars):
        for port, ear in mine.items():
            heard = 0.0
            for j, theirs in enumerate(sonars):
                if j == i or heard:
                    continue
                for mouth in theirs.values():
                    if mouth.emitting and ear.faces(mouth):
                        body = sim.rays([mouth.origin], [ear.origin])[0][0]
                        if body < 0 or body == bodies[i] or body == bodies[j]:
                            heard = 1.0
                            break
            obs[i][port + "/presence"] = heard

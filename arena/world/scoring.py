"""Scoring: named, weighted terms declared in the world file, folded over snapshots.

Each term kind is a pure fold, one state per player: init(layout, params) -> state,
update(state, snapshot, player) -> state, value(state) -> float, finished(state) -> bool. States
are frozen dataclasses; nothing here touches the simulator. The ScoreCard is data: it can be
stored, compared and recomputed from a replay. Every kind is documented in docs/worlds.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

from arena.world.scene import Layout, TrackPath, World
from arena.world.spec import ZoneSpec
from arena.world.terms import TermSpec

TOPPLED_UP = 0.3  # a robot whose up axis is this close to horizontal has toppled
TOUCH_RELEASE = 0.2  # s: a contact must be gone this long before touching again is a new event


class RobotState(NamedTuple):
    """One robot's origin in the world (m, rad); up is the z of its up axis (1 upright).
    (Snapshot and its parts are named tuples: immutable, and cheap to build every step.)"""

    x: float
    y: float
    yaw: float
    up: float


class ObjectState(NamedTuple):
    """One object's centre (m), heading (rad) and the z of its up axis (1 upright)."""

    x: float
    y: float
    z: float
    yaw: float
    up: float


class Snapshot(NamedTuple):
    """What scoring sees after a control step: time (s), every robot in player order, every object
    in the world's object order (WorldSpec.object_ids), and per robot the names of what it touches
    ("wall", "robot", object instance ids; the floor is left out). `touching` is filled only when a
    term needs it (Scorer.needs_contacts); otherwise it is empty."""

    time: float
    robots: tuple[RobotState, ...]
    objects: tuple[ObjectState, ...] = ()
    touching: tuple[frozenset[str], ...] = ()


def replace(st, **changes):
    """dataclasses.replace for these frozen states, without its per-call field introspection
    (scoring runs every control step; no state has __post_init__ or init=False fields)."""
    new = object.__new__(st.__class__)
    d = new.__dict__
    d.update(st.__dict__)
    d.update(changes)
    return new


# -- path_progress and laps ------------------------------------------------------------------------
@dataclass(frozen=True)
class ProgressState:
    path: TrackPath
    finish: float  # laps (closed) or fraction (open); 0 = no finish line
    tolerance: float  # m: farther than this from the path, progress pauses
    index: int | None = None  # nearest path index last time the robot was on the path
    start_index: int = 0
    travelled: float = 0.0  # signed metres along the path since the start
    best: float = 0.0
    best_time: float = 0.0
    whole: bool = False  # laps: count whole laps only


def _progress_init(layout: Layout, params: dict) -> ProgressState:
    path = layout.paths[params["path"]]
    return ProgressState(path, float(params.get("finish", 0.0)), float(params.get("tolerance", 60.0)) / 1000.0)


def _laps_init(layout: Layout, params: dict) -> ProgressState:
    return replace(_progress_init(layout, params), whole=True)


def _progress_update(st: ProgressState, snap: Snapshot, player: int) -> ProgressState:
    p = st.path
    now, snap = snap.time, snap.robots[player]
    if st.index is None:  # first snapshot: anchor at the nearest point
        i, d = p.nearest(snap.x, snap.y)
        return replace(st, index=i, start_index=i)
    # search only near where the robot was: cutting across the course does not count, and a robot
    # that lost the line re-joins where it left it
    window = int(0.08 / p.spacing) + 2
    i, d = p.nearest(snap.x, snap.y, around=st.index, window=window)
    if d > st.tolerance:
        return st
    n = len(p.points)
    step = i - st.index
    if p.closed:
        step = (step + n // 2) % n - n // 2
    travelled = st.travelled + step * p.spacing
    laps = travelled / p.length
    if st.whole:
        laps = float(math.floor(laps + 1e-9))
    if st.finish > 0:
        laps = min(laps, st.finish)
    if laps > st.best + 1e-12:
        return replace(st, index=i, travelled=travelled, best=laps, best_time=now)
    return replace(st, index=i, travelled=travelled)


def _progress_value(st: ProgressState) -> float:
    return st.best


def _progress_finished(st: ProgressState) -> bool:
    return st.finish > 0 and st.best >= st.finish - 1e-9


# -- checkpoints -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckpointState:
    zones: tuple[ZoneSpec, ...]
    values: tuple[float, ...]
    ordered: bool
    end: bool
    reached: tuple[bool, ...]
    best_time: float = 0.0


def _cp_init(layout: Layout, params: dict) -> CheckpointState:
    zones = tuple(layout.spec.zone(z) for z in params["zones"])
    values = tuple(params.get("values") or (1.0,) * len(zones))
    return CheckpointState(zones, values, params.get("ordered", True), params.get("end", False),
                           (False,) * len(zones))


def _cp_update(st: CheckpointState, snap: Snapshot, player: int) -> CheckpointState:
    r = snap.robots[player]
    reached = list(st.reached)
    for k, z in enumerate(st.zones):
        if reached[k]:
            continue
        if st.ordered and k > 0 and not reached[k - 1]:
            break
        if z.contains_m(r.x, r.y):
            reached[k] = True
    if tuple(reached) == st.reached:
        return st
    return replace(st, reached=tuple(reached), best_time=snap.time)


def _cp_value(st: CheckpointState) -> float:
    return float(sum(v for v, ok in zip(st.values, st.reached, strict=True) if ok))


# -- zones -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZoneState:
    zone: ZoneSpec
    end: bool = False
    inside: bool = False  # reach_zone: reached once; in_zone: inside now
    best_time: float = 0.0
    limit: float = 0.0  # time_bonus: s


def _zone_init(layout: Layout, params: dict) -> ZoneState:
    limit = float(params.get("limit") or layout.spec.time_limit)
    return ZoneState(layout.spec.zone(params["zone"]), params.get("end", False), limit=limit)


def _reach_update(st: ZoneState, snap: Snapshot, player: int) -> ZoneState:
    if st.inside:
        return st
    r = snap.robots[player]
    return replace(st, inside=True, best_time=snap.time) if st.zone.contains_m(r.x, r.y) else st


def _in_update(st: ZoneState, snap: Snapshot, player: int) -> ZoneState:
    r = snap.robots[player]
    inside = st.zone.contains_m(r.x, r.y)
    return st if inside == st.inside else replace(st, inside=inside, best_time=snap.time)


def _time_bonus_value(st: ZoneState) -> float:
    return max(0.0, st.limit - st.best_time) if st.inside else 0.0


# -- objects in a zone -----------------------------------------------------------------------------
def _select_objects(layout: Layout, names: tuple[str, ...]) -> tuple[int, ...]:
    """Indices into Snapshot.objects of the named objects or groups ([] = every movable object)."""
    ids = layout.spec.object_ids
    if not names:
        movable = {i for o in layout.spec.objects if o.mass > 0 for i in o.ids}
        return tuple(k for k, i in enumerate(ids) if i in movable)
    groups = {o.id: set(o.ids) for o in layout.spec.objects}
    want = set().union(*(groups.get(n, {n}) for n in names))
    return tuple(k for k, i in enumerate(ids) if i in want)


@dataclass(frozen=True)
class ObjectsState:
    zone: ZoneSpec
    objects: tuple[int, ...]
    end: bool
    count: int = 0
    best: int = 0
    best_time: float = 0.0


def _obj_init(layout: Layout, params: dict) -> ObjectsState:
    return ObjectsState(layout.spec.zone(params["zone"]), _select_objects(layout, params.get("objects", ())),
                        params.get("end", False))


def _obj_update(st: ObjectsState, snap: Snapshot, player: int) -> ObjectsState:
    if not snap.objects:
        return st
    n = sum(1 for k in st.objects if st.zone.contains_m(snap.objects[k].x, snap.objects[k].y))
    if n == st.count:
        return st
    if n > st.best:
        return replace(st, count=n, best=n, best_time=snap.time)
    return replace(st, count=n)


# -- head to head, out of bounds, toppled ------------------------------------------------------------
def _is_out(zone: ZoneSpec, margin: float, r: RobotState) -> bool:
    return not zone.contains_m(r.x, r.y, margin) or r.up < TOPPLED_UP


@dataclass(frozen=True)
class KnockoutState:
    zone: ZoneSpec
    margin: float  # mm
    points: dict = field(compare=False, hash=False)  # outcome -> value
    end: bool = True
    outcome: str | None = None  # None (undecided), "win", "loss", "draw"
    best_time: float = 0.0


def _ko_init(layout: Layout, params: dict) -> KnockoutState:
    pts = {"win": params.get("win", 1.0), "loss": params.get("loss", 0.0), "draw": params.get("draw", 0.0)}
    return KnockoutState(layout.spec.zone(params["zone"]), params.get("margin", 0.0), pts, params.get("end", True))


def _ko_update(st: KnockoutState, snap: Snapshot, player: int) -> KnockoutState:
    if st.outcome is not None:
        return st
    me = _is_out(st.zone, st.margin, snap.robots[player])
    them = any(_is_out(st.zone, st.margin, r) for j, r in enumerate(snap.robots) if j != player)
    if not (me or them):
        return st
    outcome = "draw" if me and them else ("loss" if me else "win")
    return replace(st, outcome=outcome, best_time=snap.time)


@dataclass(frozen=True)
class OutState:
    zone: ZoneSpec
    margin: float
    end: bool
    was_in: bool | None = None
    exits: int = 0


def _out_init(layout: Layout, params: dict) -> OutState:
    return OutState(layout.spec.zone(params["zone"]), params.get("margin", 0.0), params.get("end", False))


def _out_update(st: OutState, snap: Snapshot, player: int) -> OutState:
    r = snap.robots[player]
    inside = st.zone.contains_m(r.x, r.y, st.margin)
    exits = st.exits + (1 if st.was_in and not inside else 0)
    return st if (inside == st.was_in and exits == st.exits) else replace(st, was_in=inside, exits=exits)


@dataclass(frozen=True)
class ToppledState:
    end: bool = True
    toppled: bool = False


def _topple_update(st: ToppledState, snap: Snapshot, player: int) -> ToppledState:
    return replace(st, toppled=True) if not st.toppled and snap.robots[player].up < TOPPLED_UP else st


# -- touching --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TouchState:
    names: frozenset | None  # what counts (None = anything)
    seconds_mode: bool
    cap: float = 0.0
    last_seen: tuple[tuple[str, float], ...] = ()  # name -> last time in contact
    current: frozenset = frozenset()  # in contact at the last snapshot
    events: int = 0
    seconds: float = 0.0
    time: float = 0.0


def _touch_init(layout: Layout, params: dict) -> TouchState:
    sel = params.get("with", ())
    names = None
    if sel:
        groups = {o.id: set(o.ids) for o in layout.spec.objects}
        names = frozenset().union(*(groups.get(n, {n}) for n in sel))
    return TouchState(names, params.get("measure", "events") == "seconds", float(params.get("max", 0.0)))


def _touch_value(st: TouchState) -> float:
    v = st.seconds if st.seconds_mode else float(st.events)
    return min(v, st.cap) if st.cap > 0 else v


def _touch_update(st: TouchState, snap: Snapshot, player: int) -> TouchState:
    now = snap.touching[player] if player < len(snap.touching) else frozenset()
    if st.names is not None:
        now = now & st.names
    dt = snap.time - st.time
    if not now:
        return replace(st, time=snap.time, current=frozenset()) if (dt or st.current) else st
    seen = dict(st.last_seen)
    # a new touch: not touching at the last snapshot, and not within the release time before it
    new = sum(1 for n in now if n not in st.current and (n not in seen or snap.time - seen[n] > TOUCH_RELEASE + 1e-9))
    seen.update((n, snap.time) for n in now)
    return replace(st, last_seen=tuple(sorted(seen.items())), current=frozenset(now), events=st.events + new,
                   seconds=st.seconds + dt, time=snap.time)


@dataclass(frozen=True)
class TimeState:
    time: float = 0.0


# Every kind: (init(layout, params) -> state, update(state, snapshot, player) -> state,
# value(state) -> float, finished(state) -> bool). docs/worlds.md documents each one.
KINDS = {
    "path_progress": (_progress_init, _progress_update, _progress_value, _progress_finished),
    "laps": (_laps_init, _progress_update, _progress_value, _progress_finished),
    "checkpoints": (_cp_init, _cp_update, _cp_value, lambda s: s.end and all(s.reached)),
    "reach_zone": (_zone_init, _reach_update, lambda s: float(s.inside), lambda s: s.end and s.inside),
    "in_zone": (_zone_init, _in_update, lambda s: float(s.inside), lambda s: False),
    "objects_in_zone": (_obj_init, _obj_update, lambda s: float(s.count),
                        lambda s: s.end and s.count == len(s.objects) > 0),
    "knockout": (_ko_init, _ko_update, lambda s: float(s.points[s.outcome or "draw"]),
                 lambda s: s.end and s.outcome is not None),
    "out_of_bounds": (_out_init, _out_update, lambda s: float(s.exits), lambda s: s.end and s.exits > 0),
    "touch": (_touch_init, _touch_update, _touch_value, lambda s: False),
    "toppled": (lambda w, p: ToppledState(p.get("end", True)), _topple_update, lambda s: float(s.toppled),
                lambda s: s.end and s.toppled),
    "time_bonus": (_zone_init, _reach_update, _time_bonus_value, lambda s: False),
    "time": (lambda w, p: TimeState(), lambda s, snap, i: TimeState(snap.time), lambda s: s.time, lambda s: False),
}


@dataclass(frozen=True)
class TermResult:
    name: str
    kind: str
    value: float
    weight: float

    @property
    def points(self) -> float:
        return self.value * self.weight


@dataclass(frozen=True)
class ScoreCard:
    world: str
    terms: tuple[TermResult, ...]
    time: float  # s simulated
    tiebreak: float  # s: when the final score was reached (lower ranks higher)
    finished: bool

    @property
    def total(self) -> float:
        return float(sum(t.points for t in self.terms))

    def as_dict(self) -> dict:
        return {"world": self.world, "total": round(self.total, 6),
                "terms": {t.name: {"value": round(t.value, 6), "weight": t.weight, "points": round(t.points, 6)}
                          for t in self.terms},
                "tiebreak_s": round(self.tiebreak, 3), "finished": self.finished}


class Scorer:
    """Every term for every player: states[player][term]. reset(layout) starts a new episode on that
    layout (default: the world's unrandomised layout)."""

    def __init__(self, world: World, players: int = 1):
        self.world, self.players = world, players
        self.specs: tuple[TermSpec, ...] = world.spec.terms
        self.needs_contacts = any(t.kind == "touch" for t in self.specs)
        kinds = [KINDS[t.kind] for t in self.specs]
        self._inits, self._updates = [k[0] for k in kinds], [k[1] for k in kinds]
        self._values, self._finishes = [k[2] for k in kinds], [k[3] for k in kinds]
        self._weights = [float(t.weight) for t in self.specs]
        self._info_keys = [f"score/{t.name}" for t in self.specs]
        self.reset()

    def reset(self, layout: Layout | None = None) -> None:
        self.layout = layout or self.world.default_layout
        self.states = [[init(self.layout, t.params) for init, t in zip(self._inits, self.specs, strict=True)]
                       for _ in range(self.players)]
        self.time = 0.0
        self._fold()

    def update(self, snap: Snapshot) -> None:
        # plain indexed loops: this runs every control step, and compiled they are C loops
        updates, n = self._updates, len(self._updates)
        states = []
        for i in range(self.players):
            row, new = self.states[i], []
            for k in range(n):
                new.append(updates[k](row[k], snap, i))
            states.append(new)
        self.states = states
        self.time = snap.time
        self._fold()

    def _fold(self) -> None:
        """Totals and the finished flag, once per update (read every step by the envs)."""
        values, weights, finishes, n = self._values, self._weights, self._finishes, len(self._values)
        totals, finished = [], False
        for row in self.states:
            total = 0.0  # summed in term order, as float(sum(...)) did
            for k in range(n):
                v, w = values[k](row[k]), weights[k]
                total += v * w
            totals.append(total)
            if not finished:
                for k in range(n):
                    if finishes[k](row[k]):
                        finished = True
                        break
        self._totals, self._finished = totals, finished

    def total(self, player: int = 0) -> float:
        return self._totals[player]

    def values(self, player: int = 0) -> dict[str, float]:
        return {t.name: v(s) for t, v, s in zip(self.specs, self._values, self.states[player], strict=True)}

    def info(self, player: int = 0) -> dict[str, float]:
        """score/<term> for every term, and score/total (what the envs put in info)."""
        row, keys, values, info = self.states[player], self._info_keys, self._values, {}
        for k in range(len(keys)):
            info[keys[k]] = float(values[k](row[k]))
        info["score/total"] = self._totals[player]
        return info

    @property
    def finished(self) -> bool:
        return self._finished

    def card(self, player: int = 0) -> ScoreCard:
        row = self.states[player]
        terms = tuple(TermResult(t.name, t.kind, KINDS[t.kind][2](s), t.weight)
                      for t, s in zip(self.specs, row, strict=True))
        # tie-break: when the final score was reached (the latest improvement of any timed term)
        tb = max((s.best_time for s in row if hasattr(s, "best_time")), default=self.time)
        return ScoreCard(self.world.spec.id, terms, self.time, tb, self.finished)

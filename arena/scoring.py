"""Scoring (layer 5): named, weighted terms declared in the world file, folded over snapshots.

Each term kind is a pure fold, one state per player: init(world, params) -> state,
update(state, snapshot, player) -> state, value(state) -> float, finished(state) -> bool. The ScoreCard is data: it can be stored,
compared and recomputed from a replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .world import TrackPath, World
from .worldspec import TermSpec


@dataclass(frozen=True)
class RobotState:
    """One robot's origin in the world (m, rad); up is the z of its up axis (1 upright)."""

    x: float
    y: float
    yaw: float
    up: float


@dataclass(frozen=True)
class Snapshot:
    """What scoring sees after a control step: time (s) and every robot, in player order."""

    time: float
    robots: tuple[RobotState, ...]


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


def _progress_init(world: World, params: dict) -> ProgressState:
    path = world.paths[params["path"]]
    return ProgressState(path, float(params.get("finish", 0.0)), float(params.get("tolerance", 60.0)) / 1000.0)


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
    if st.finish > 0:
        laps = min(laps, st.finish)
    if laps > st.best + 1e-12:
        return replace(st, index=i, travelled=travelled, best=laps, best_time=now)
    return replace(st, index=i, travelled=travelled)


def _progress_value(st: ProgressState) -> float:
    return st.best


def _progress_finished(st: ProgressState) -> bool:
    return st.finish > 0 and st.best >= st.finish - 1e-9


@dataclass(frozen=True)
class TimeState:
    time: float = 0.0


KINDS = {
    "path_progress": (_progress_init, _progress_update, _progress_value, _progress_finished),
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


@dataclass
class Scorer:
    """Every term for every player: states[player][term]."""

    world: World
    players: int = 1
    specs: tuple[TermSpec, ...] = field(init=False)

    def __post_init__(self):
        self.specs = self.world.spec.terms
        self.reset()

    def reset(self) -> None:
        self.states = [[KINDS[t.kind][0](self.world, t.params) for t in self.specs] for _ in range(self.players)]
        self.time = 0.0

    def update(self, snap: Snapshot) -> None:
        self.states = [[KINDS[t.kind][1](s, snap, i) for t, s in zip(self.specs, row, strict=True)]
                       for i, row in enumerate(self.states)]
        self.time = snap.time

    def total(self, player: int = 0) -> float:
        row = self.states[player]
        return float(sum(KINDS[t.kind][2](s) * t.weight for t, s in zip(self.specs, row, strict=True)))

    def values(self, player: int = 0) -> dict[str, float]:
        return {t.name: KINDS[t.kind][2](s) for t, s in zip(self.specs, self.states[player], strict=True)}

    @property
    def finished(self) -> bool:
        return any(KINDS[t.kind][3](s) for row in self.states for t, s in zip(self.specs, row, strict=True))

    def card(self, player: int = 0) -> ScoreCard:
        row = self.states[player]
        terms = tuple(TermResult(t.name, t.kind, KINDS[t.kind][2](s), t.weight)
                      for t, s in zip(self.specs, row, strict=True))
        tb = max((s.best_time for s in row if isinstance(s, ProgressState)), default=self.time)
        return ScoreCard(self.world.spec.id, terms, self.time, tb, self.finished)

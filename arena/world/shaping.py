"""Dense shaping terms for training: declared as data beside the score, never part of it.

A world may declare `[[shaping]]` tables (name, kind, weight, and the kind's parameters, as a
[[score]] table does, plus `default`: whether `arena train` switches the term on when no terms
are named; true unless set). A world that declares none gets shaping derived from its score
terms by DERIVED below: progress along a scored path, staying on it, closing on a goal zone,
pushing the opponent out of the ring. Two action terms exist in every world: energy and
smoothness. A user switches terms on by name (`ArenaEnv(shaping=("progress",))`, a dict of name
-> weight to override the declared weight, or "default" for the world's defaults). Scores,
rankings and `arena run` never see shaping: only the env's reward does. docs/training.md
describes every kind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from arena.tomlio import Table
from arena.world.terms import TermSpec, kind_and_name, known_id

# kind -> {parameter: (type, what it means)}; every kind's value is per control step
SHAPING_PARAMS: dict[str, dict[str, tuple[str, str]]] = {
    "progress": {"path": ("path", "laps (closed path) or fraction (open) gained along it this step, signed")},
    "line": {"path": ("path", "minus the distance (m) to the path, times the control period (s)")},
    "goal": {"zone": ("zone", "metres the robot closed on the zone centre this step")},
    "push_out": {"zone": ("zone", "metres the opponents moved away from the zone centre this step")},
    "energy": {},  # -sum(action^2) * control period (s)
    "smoothness": {},  # -sum((action - previous action)^2)
}
SHAPING_KINDS = tuple(SHAPING_PARAMS)
ACTION_KINDS = ("energy", "smoothness")
TOLERANCE_M = 0.06  # progress counts only this close to the path (as path_progress's default)

# score term kind -> [(shaping name, kind, the parameter copied from the term, weight factor,
# on by default)]: the weight is the term's weight times the factor, so shaping is on the score's
# scale. `line` is off by default: with `progress` it taught LineFollow's policy to stand still.
DERIVED: dict[str, list[tuple[str, str, str, float, bool]]] = {
    "path_progress": [("progress", "progress", "path", 1.0, True), ("line", "line", "path", 0.5, False)],
    "laps": [("progress", "progress", "path", 1.0, True), ("line", "line", "path", 0.5, False)],
    "reach_zone": [("goal", "goal", "zone", 1.0, True)],
    "time_bonus": [("goal", "goal", "zone", 1.0, True)],
    "knockout": [("push_out", "push_out", "zone", 1.0, True)],
}
DEFAULT = "default"  # shaping="default": the world's default terms


@dataclass(frozen=True)
class ShapingSpec(TermSpec):
    """A [[shaping]] term: the same fields as a score term (TermSpec), a different vocabulary, and
    whether training switches it on when the user names no terms."""

    default: bool = True


def read_shaping(t: Table, ids: dict[str, set], names: set) -> ShapingSpec:
    """One [[shaping]] table; ids: the world's path and zone ids (as read_term takes them)."""
    kind, name = kind_and_name(t, SHAPING_KINDS, names, "shaping")
    params = {key: known_id(t, key, typ, t.str(key), ids) for key, (typ, _doc) in SHAPING_PARAMS[kind].items()}
    spec = ShapingSpec(name, kind, t.num("weight", 1.0), params, t.bool("default", True))
    t.reject_unknown()
    return spec


def declared(world_spec) -> tuple[ShapingSpec, ...]:
    """The world's shaping terms: its [[shaping]] tables, else those DERIVED from its score terms
    (first of each name wins), plus energy and smoothness (weight 1, off by default) unless declared."""
    out = list(getattr(world_spec, "shaping", ()) or ())
    if not out:
        for term in world_spec.terms:
            for name, kind, param, factor, on in DERIVED.get(term.kind, ()):
                if term.params.get(param) is not None and all(s.name != name for s in out):
                    out.append(ShapingSpec(name, kind, float(term.weight) * factor, {param: term.params[param]}, on))
    for kind in ACTION_KINDS:
        if all(s.name != kind for s in out):
            out.append(ShapingSpec(kind, kind, 1.0, {}, False))
    return tuple(out)


def defaults(world_spec) -> tuple[ShapingSpec, ...]:
    """The terms training uses when the user names none (may be empty: the score's reward only)."""
    return tuple(s for s in declared(world_spec) if s.default)


def choose(world_spec, chosen) -> list[tuple[ShapingSpec, float]]:
    """The terms a user switched on: a sequence of names (declared weights), {name: weight}, or
    "default" (the world's default terms at their declared weights)."""
    if isinstance(chosen, str) and chosen == DEFAULT:
        return [(s, s.weight) for s in defaults(world_spec)]
    if isinstance(chosen, str):  # one name is a common slip for a tuple of one
        chosen = (chosen,)
    if not chosen:
        return []
    specs = {s.name: s for s in declared(world_spec)}
    weights = dict(chosen) if isinstance(chosen, dict) else {n: None for n in chosen}
    bad = sorted(set(weights) - set(specs))
    if bad:
        raise ValueError(f"unknown shaping terms {bad} for world {world_spec.id}: use {', '.join(specs)}")
    return [(specs[n], specs[n].weight if w is None else float(w)) for n, w in weights.items()]


def _zone_center(layout, zid: str) -> tuple[float, float]:
    z = layout.spec.zone(zid)
    return z.center[0] / 1000.0, z.center[1] / 1000.0


class Shaper:
    """The chosen terms' values for one player, step by step: reset(layout, snapshot) at the start
    of an episode, then step(snapshot, action) -> {name: value} (unweighted) every control step."""

    def __init__(self, chosen: list[tuple[ShapingSpec, float]], control_dt: float, player: int = 0):
        self.chosen, self.dt, self.player = chosen, control_dt, player
        self.weights = {s.name: w for s, w in chosen}

    def reset(self, layout, snap, n_actions: int) -> None:
        self.layout = layout
        self.last_action = [0.0] * n_actions
        self.state = {s.name: self._measure(s, snap, None) for s, _ in self.chosen}

    def _measure(self, s: ShapingSpec, snap, prev):
        """The quantity a term differences: path index, distance to a zone, opponents' distances."""
        me = snap.robots[self.player]
        if s.kind in ("progress", "line"):
            path = self.layout.paths[s.params["path"]]
            if prev is None or s.kind == "line":
                return path.nearest(me.x, me.y)
            return path.nearest(me.x, me.y, around=prev[0], window=int(0.08 / path.spacing) + 2)
        if s.kind == "goal":
            cx, cy = _zone_center(self.layout, s.params["zone"])
            return math.hypot(me.x - cx, me.y - cy)
        if s.kind == "push_out":
            cx, cy = _zone_center(self.layout, s.params["zone"])
            return sum(math.hypot(r.x - cx, r.y - cy) for i, r in enumerate(snap.robots) if i != self.player)
        return None

    def step(self, snap, action: list[float]) -> dict[str, float]:
        out = {}
        for s, _ in self.chosen:
            prev = self.state[s.name]
            now = self._measure(s, snap, prev)
            if s.kind == "progress":
                path = self.layout.paths[s.params["path"]]
                n, step = len(path.points), now[0] - prev[0]
                if path.closed:
                    step = (step + n // 2) % n - n // 2
                if now[1] > TOLERANCE_M:  # off the path: progress pauses, the index stays put
                    now, step = prev, 0
                out[s.name] = step * path.spacing / path.length
            elif s.kind == "line":
                out[s.name] = -now[1] * self.dt
            elif s.kind == "goal":
                out[s.name] = prev - now
            elif s.kind == "push_out":
                out[s.name] = now - prev
            elif s.kind == "energy":
                out[s.name] = -sum(a * a for a in action) * self.dt
            else:  # smoothness
                out[s.name] = -sum((a - b) ** 2 for a, b in zip(action, self.last_action, strict=True))
            self.state[s.name] = now
        self.last_action = list(action)
        return out

    def reward(self, values: dict[str, float]) -> float:
        return sum(self.weights[k] * v for k, v in values.items())


def ground_truth(layout, snap, player: int, mat_size_mm) -> list[float]:
    """Privileged observations, each in [-1, 1]: x and y over half the mat, sin and cos of the
    heading, then per scored path the distance to it over 0.5 m, per goal zone the distance to its
    centre over the mat's diagonal (clipped). The targets come from DERIVED's score kinds."""
    me = snap.robots[player]
    hw, hh = mat_size_mm[0] / 2000.0, mat_size_mm[1] / 2000.0
    diag = math.hypot(2 * hw, 2 * hh)
    out = [_clip(me.x / hw), _clip(me.y / hh), math.sin(me.yaw), math.cos(me.yaw)]
    for path_id, zone_id in targets(layout.spec):
        if path_id is not None:
            out.append(_clip(layout.paths[path_id].nearest(me.x, me.y)[1] / 0.5))
        else:
            cx, cy = _zone_center(layout, zone_id)
            out.append(_clip(math.hypot(me.x - cx, me.y - cy) / diag))
    return out


def targets(world_spec) -> list[tuple[str | None, str | None]]:
    """(path id, None) or (None, zone id) for each score term DERIVED shapes, in term order."""
    out = []
    for t in world_spec.terms:
        if t.kind in DERIVED:
            p = t.params.get("path")
            item = (p, None) if p is not None else (None, t.params.get("zone"))
            if item[0] is not None or item[1] is not None:
                out.append(item)
    return out


def _clip(v: float) -> float:
    return 1.0 if v > 1.0 else -1.0 if v < -1.0 else v

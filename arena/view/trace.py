"""What a run did, step by step: poses (for trails and the top-down view), every scalar sensor
reading and motor duty (for the plots), and the score as it accrues. Recorded from a Match."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# preferred plot channels, first match wins per quantity (a line follower's reflection first)
PREFERRED = ("reflection", "angle@gyro", "duty", "speed", "distance", "pressed")


@dataclass
class Player:
    agent: str
    robot: str
    poses: list = field(default_factory=list)  # (x, y, yaw) per recorded step
    channels: dict[str, list[float]] = field(default_factory=dict)  # "S3/reflection", "A/duty" (percent)
    totals: list[float] = field(default_factory=list)
    terms: list[dict[str, float]] = field(default_factory=list)  # points per term


class Trace:
    """One entry per control step from the reset (step 0) on."""

    def __init__(self, match, world: str, seed: int, agents: list[str], keep_3d: bool = False):
        """keep_3d: also keep every body's pose each step (arena.view.stage.capture) for 3D views."""
        self.world, self.seed, self.dt = world, seed, match.sim.control_dt
        self.scenes: list[np.ndarray] | None = [] if keep_3d else None
        self.time_limit = match.world_spec.time_limit
        self.players = [Player(a, r.spec.name) for a, r in zip(agents, match.robots, strict=True)]
        self.gyro_ports = [{p for p, d in r.sensors.items() if type(d).__name__ == "GyroSensor"} for r in match.robots]
        self.objects: list[list[tuple[float, float, float]]] = []
        self.steps: list[int] = []

    def __len__(self) -> int:
        return len(self.steps)

    def record(self, match) -> None:
        self.steps.append(match.steps)
        self.objects.append([_xy_yaw(*match.sim.pose(b)) for b in match.object_bodies])
        if self.scenes is not None:
            from arena.view.stage import capture

            self.scenes.append(capture(match))
        for i, (pl, r) in enumerate(zip(self.players, match.robots, strict=True)):
            pl.poses.append((r.pose.x, r.pose.y, r.pose.yaw))
            values = {k: float(v) for k, v in match.obs[i].items() if isinstance(v, (int, float, bool, np.number))}
            for port, m in r.motors.items():
                values[f"{port}/duty"] = 100.0 * float(m.applied)
            n = len(self.steps) - 1
            for k, v in values.items():
                pl.channels.setdefault(k, [float("nan")] * n).append(v)
            for col in pl.channels.values():
                if len(col) <= n:
                    col.append(float("nan"))
            card = match.scorer.card(i)
            pl.totals.append(float(card.total))
            pl.terms.append({t.name: float(t.points) for t in card.terms})

    def time(self, k: int) -> float:
        return self.steps[k] * self.dt

    def index_at(self, seconds: float) -> int:
        """The recorded entry at (or just before) a simulated time."""
        k = int(np.searchsorted(np.asarray(self.steps) * self.dt, seconds + 1e-9, side="right")) - 1
        return min(max(k, 0), len(self.steps) - 1)

    def series(self, player: int, name: str) -> np.ndarray:
        return np.asarray(self.players[player].channels[name], dtype=float)

    def default_channels(self, player: int = 0, n: int = 4) -> list[str]:
        """The channels worth plotting first: sensor readings, then motor duty and speed."""
        names = list(self.players[player].channels)
        out = []
        for want in PREFERRED:
            q, _, kind = want.partition("@")
            for name in names:
                port, _, quantity = name.partition("/")
                if quantity != q or name in out or port == "battery":
                    continue
                if kind == "gyro" and port not in self.gyro_ports[player]:
                    continue
                out.append(name)
        return out[:n]


def _xy_yaw(pos, quat) -> tuple[float, float, float]:
    x, y, z, w = quat
    return float(pos[0]), float(pos[1]), float(np.arctan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z)))


def replay_agents(rep: dict) -> list[str]:
    return [str(p.get("agent", "?")) for p in rep.get("players", [])]


def trace_replay(rep: dict, on_step=None, keep_3d: bool = False) -> Trace:
    """Re-simulate a replay and record every step. on_step(step, match, trace) sees each state."""
    from arena.compete.replay import _simulate

    trace = None
    for step, match, _cmds in _simulate(rep):
        if trace is None:
            trace = Trace(match, str(rep["world"]["id"]), int(rep["seed"]), replay_agents(rep), keep_3d)
        trace.record(match)
        if on_step is not None:
            on_step(step, match, trace)
    return trace

"""A match (layer 6 core): one world, one or more robots, their scores. No Gymnasium here.

The Gymnasium env, the PettingZoo env and the controller runner all step a Match, so the physics,
the seeding and the scoring are written once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .content import resolve
from .robot import Robot
from .robotspec import RobotSpec, load_robot
from .scoring import RobotState, Scorer, Snapshot
from .sim import CONTROL_DT, PHYSICS_DT, Sim
from .world import World
from .worldspec import WorldSpec, check_robot_fits, load_world

TOPPLED_UP = 0.3  # a robot whose up axis is this close to horizontal has toppled


def load_world_spec(world: str | Path | WorldSpec) -> WorldSpec:
    return world if isinstance(world, WorldSpec) else load_world(resolve("worlds", world))


def load_robot_spec(robot: str | Path | RobotSpec) -> RobotSpec:
    return robot if isinstance(robot, RobotSpec) else load_robot(resolve("robots", robot))


class Match:
    def __init__(self, world: str | Path | WorldSpec, robots: list[str | Path | RobotSpec | None] | None = None,
                 control_dt: float = CONTROL_DT, physics_dt: float = PHYSICS_DT, randomize: bool = False):
        """randomize: draw battery voltage and sensor tolerances from the wide domain-randomisation
        ranges of docs/parts.md (for training), instead of fresh batteries and part tolerances."""
        self.randomize = randomize
        self.world_spec = load_world_spec(world)
        n = self.world_spec.players
        robots = list(robots or [])
        if len(robots) > n:
            raise ValueError(f"{self.world_spec.id} takes {n} robot(s), got {len(robots)}")
        robots += [None] * (n - len(robots))
        self.robot_specs = [load_robot_spec(r if r is not None else self.world_spec.robot) for r in robots]
        self.world = World(self.world_spec)
        self.sim = Sim(physics_dt, control_dt)
        self.robots = [Robot(s, control_dt, name=f"p{i}") for i, s in enumerate(self.robot_specs)]
        for r in self.robots:
            check_robot_fits(self.world_spec, r.spec.name, r.size_mm, r.mass)
        self.scorer = Scorer(self.world, n)
        self.max_steps = int(round(self.world_spec.time_limit / control_dt))
        self.steps = 0

    @property
    def players(self) -> int:
        return len(self.robots)

    @property
    def time(self) -> float:
        return self.steps * self.sim.control_dt

    def reset(self, seed_seq: np.random.SeedSequence) -> list[dict]:
        """Rebuild the world. The layout stream is shared by all players (the same seed gives every
        entrant the same layout); each device gets its own noise stream."""
        layout_ss, device_ss = seed_seq.spawn(2)
        self.layout_rng = np.random.default_rng(layout_ss)
        self.sim.reset()
        self.static_bodies = self.world.build(self.sim)
        per_robot = device_ss.spawn(self.players)
        for i, r in enumerate(self.robots):
            start = self.world.start_pose(i, self.layout_rng)
            # one stream per device, and one more for the robot's own draws (its battery)
            rngs = [np.random.default_rng(s) for s in per_robot[i].spawn(r.n_devices() + 1)]
            volts = float(rngs[-1].uniform(7.2, 9.0)) if self.randomize else None
            r.spawn(self.sim, start.x, start.y, start.heading, rngs[:-1], volts=volts, wide=self.randomize)
        self.steps = 0
        self.scorer.reset()
        self.obs = [r.sense(0.0, self.world.mat, self.world.ambient) for r in self.robots]
        self.scorer.update(self.snapshot())
        return self.obs

    def step(self, commands: list[dict]) -> list[dict]:
        """One control period. commands[i] are brick-level motor commands for robot i."""
        for r, c in zip(self.robots, commands, strict=True):
            r.command(c)
            r.control()
        for _ in range(self.sim.substeps):
            for r in self.robots:
                r.physics()
            self.sim.step()
        self.steps += 1
        t = self.time
        self.obs = [r.sense(t, self.world.mat, self.world.ambient) for r in self.robots]
        self.scorer.update(self.snapshot())
        return self.obs

    def snapshot(self) -> Snapshot:
        return Snapshot(self.time, tuple(RobotState(r.pose.x, r.pose.y, r.pose.yaw, r.pose.up) for r in self.robots))

    def toppled(self, player: int) -> bool:
        return self.robots[player].pose.up < TOPPLED_UP

    @property
    def terminated(self) -> bool:
        return self.scorer.finished or any(self.toppled(i) for i in range(self.players))

    @property
    def truncated(self) -> bool:
        return self.steps >= self.max_steps and not self.terminated

    def state_digest(self) -> bytes:
        return self.sim.state_digest([r.body for r in self.robots])

    def close(self) -> None:
        self.sim.close()

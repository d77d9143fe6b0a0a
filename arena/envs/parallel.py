"""PettingZoo interface: every robot of a multi-robot world as a ParallelEnv agent.

Agents are named "p0", "p1", ... in start-pose order; each has the same spaces as the
single-agent ArenaEnv would give its robot. Rewards are each player's score increase.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from arena.envs.single import ActionMap, ObservationPacker, clean_action, score_info
from arena.match import Match
from arena.robot.spec import RobotSpec
from arena.sim import CONTROL_DT, PHYSICS_DT
from arena.world.draw import TopDown
from arena.world.spec import WorldSpec


class ArenaParallelEnv(ParallelEnv):
    """Several kit robots in one Kit Arena world, stepping simultaneously.

    Arguments: `world`, `robots` (a list, one per player; None = the world's robot),
    `render_mode` ("rgb_array"), `action_mode` ("duty" | "speed"). Observations, actions and
    rewards per agent follow ArenaEnv (see its docstring). An episode ends for everyone at once.
    """

    metadata = {"render_modes": ["rgb_array"], "name": "kit_arena_v0", "is_parallelizable": True}

    def __init__(self, world: str | Path | WorldSpec = "line-follow", robots: list[str | Path | RobotSpec | None] | None = None,
                 render_mode: str | None = None, action_mode: str = "duty", control_dt: float = CONTROL_DT,
                 physics_dt: float = PHYSICS_DT):
        self.match = Match(world, robots, control_dt, physics_dt)
        self.render_mode, self.action_mode = render_mode, action_mode
        self.possible_agents = [f"p{i}" for i in range(self.match.players)]
        self.agents: list[str] = []
        self._spaces, self._commands = {}, {}
        for name, robot in zip(self.possible_agents, self.match.robots, strict=True):
            packer = ObservationPacker(robot)
            self._spaces[name] = (packer, packer.space, spaces.Box(-1.0, 1.0, (len(robot.ports),), np.float32))
            self._commands[name] = ActionMap(robot, action_mode)
        self._topdown = None

    def observation_space(self, agent: str):
        return self._spaces[agent][1]

    def action_space(self, agent: str):
        return self._spaces[agent][2]

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            ss = np.random.SeedSequence(seed)
        else:
            if not hasattr(self, "_rng"):
                self._rng = np.random.default_rng()
            ss = np.random.SeedSequence(int(self._rng.integers(0, 2**63)))
        obs = self.match.reset(ss)
        self.agents = list(self.possible_agents)
        self._scores = [self.match.scorer.total(i) for i in range(self.match.players)]
        return self._obs(obs), {a: self._info(i) for i, a in enumerate(self.agents)}

    def step(self, actions: dict):
        cmds = []
        for agent, robot in zip(self.possible_agents, self.match.robots, strict=True):
            a = actions.get(agent)
            if a is None:
                cmds.append({})
                continue
            try:
                a = clean_action(a, len(robot.ports))
            except ValueError as exc:
                raise ValueError(f"{agent}: {exc}") from None
            cmds.append(self._commands[agent](a))
        obs = self.match.step(cmds)
        rewards = {}
        for i, agent in enumerate(self.possible_agents):
            total = self.match.scorer.total(i)
            rewards[agent], self._scores[i] = float(total - self._scores[i]), total
        term, trunc = self.match.terminated, self.match.truncated
        infos = {a: self._info(i) for i, a in enumerate(self.possible_agents)}
        out = (self._obs(obs), rewards, {a: term for a in self.possible_agents},
               {a: trunc for a in self.possible_agents}, infos)
        if term or trunc:
            self.agents = []
        return out

    def _obs(self, raw: list[dict]) -> dict:
        return {agent: self._spaces[agent][0](r) for agent, r in zip(self.possible_agents, raw, strict=True)}

    def _info(self, i: int) -> dict:
        return score_info(self.match, i)

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        if self._topdown is None or self._topdown.layout is not self.match.layout:
            self._topdown = TopDown(self.match.world, layout=self.match.layout)
        return self._topdown.frame([(r, r.pose) for r in self.match.robots], self.match.snapshot().objects)

    def close(self):
        self.match.close()


def parallel_env(**kwargs) -> ArenaParallelEnv:
    return ArenaParallelEnv(**kwargs)

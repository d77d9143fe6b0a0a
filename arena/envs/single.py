"""Gymnasium interface: one robot in one challenge world."""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from arena.envs import opponents
from arena.match import Match, load_robot_spec, load_world_spec  # noqa: F401 - re-exported for callers
from arena.robot.spec import RobotSpec
from arena.sim import CONTROL_DT, PHYSICS_DT
from arena.world.draw import TopDown
from arena.world.spec import WorldSpec


class ObservationPacker:
    """A robot's observation space, and raw readings -> fresh float32 arrays every step (so no
    observation shares memory with an earlier one). Shared by the Gymnasium and PettingZoo envs."""

    def __init__(self, robot):
        self.keys = robot.obs_keys()
        self.space = spaces.Dict({k.key: spaces.Box(k.low, k.high, k.shape or (1,), np.float32) for k in self.keys})
        self.names = [k.key for k in self.keys]
        self.sizes = [int(np.prod(k.shape or (1,))) for k in self.keys]  # readings per key

    def __call__(self, raw: dict) -> dict:
        return pack(raw, self.names, self.sizes)


def flatten(raw: dict, names: list[str], sizes: list[int]) -> list[float]:
    """The readings of the named keys as one list, in that order (a key of size > 1 holds a
    sequence of readings)."""
    flat = []
    for name, n in zip(names, sizes, strict=True):
        if n > 1:
            flat.extend(raw[name])
        else:
            flat.append(raw[name])
    return flat


def _pack(raw: dict, names: list[str], sizes: list[int]) -> dict:
    """{key: float32 array} from raw readings: one fresh buffer, a view per key.
    arena._fastpath.pack is the compiled twin (there each key gets its own array)."""
    buf = np.array(flatten(raw, names, sizes), dtype=np.float32)
    obs, a = {}, 0
    for name, n in zip(names, sizes, strict=True):
        obs[name] = buf[a:a + n]
        a += n
    return obs


try:  # the compiled twin of _pack (each key its own array), when the optional build is present
    from arena._fastpath import pack
except ImportError:
    pack = _pack


def clean_action(action, n: int) -> list[float]:
    """An action -> n plain floats: NaN means "no command" (0), the rest is clipped to [-1, 1]
    (so infinities saturate). Plain floats: numpy costs more than it saves on a few numbers."""
    if type(action) is np.ndarray and action.shape == (n,) and action.dtype.char in "fd":
        values = action.tolist()  # float32 or float64 -> Python floats, exactly as a float64 cast
    else:
        values = np.asarray(action, dtype=np.float64).reshape(-1).tolist()
        if len(values) != n:
            raise ValueError(f"action has shape ({len(values)},), expected ({n},)")
    out = []
    for u in values:
        out.append(0.0 if u != u else 1.0 if u > 1.0 else -1.0 if u < -1.0 else u)
    return out


class ActionMap:
    """A cleaned action (plain floats in port order, see clean_action) -> the robot's motor
    commands: duties (action_mode "duty"), or speed targets through the brick's regulation in
    units of each motor's top speed ("speed"). Shared by the Gymnasium and PettingZoo envs."""

    def __init__(self, robot, action_mode: str):
        self.ports, self.duty = robot.ports, action_mode == "duty"
        self.max_deg_s = [math.degrees(robot.motors[p].model.max_speed) for p in self.ports]

    def __call__(self, a: list[float]) -> dict:
        if self.duty:
            return dict(zip(self.ports, a, strict=True))
        return {p: {"run": u * s} for p, u, s in zip(self.ports, a, self.max_deg_s, strict=True)}


def score_info(match: Match, player: int) -> dict:
    """info for one player: every score term as score/<term>, the total, the simulated time."""
    info = match.scorer.info(player)
    info["time"] = match.time
    return info


class ArenaEnv(gym.Env):
    """A kit robot in a Kit Arena challenge world.

    ## Description
    The robot is built from kit parts (a robot build file) and placed in a challenge world (a
    world file). Physics is PyBullet; motors are DC models with the brick's regulation; sensors
    read the world the way the real parts do (see docs/parts.md).

    ## Action Space
    `Box(-1, 1, (n_motors,), float32)`: one entry per motor port in port order (A, B, C, D as
    present), as duty (`action_mode="duty"`, default) or as a speed target in units of the
    motor's maximum speed regulated by the brick's speed loop (`action_mode="speed"`).

    ## Observation Space
    `Dict` keyed `<port>/<quantity>` in the brick's units, each a float32 array of shape (1,)
    (or (3,) for `rgb`): `S3/reflection` %, `S3/ambient` %, `S3/color` id 0-7, `S3/rgb` 0-1020,
    `S4/distance` mm (2550 = nothing seen), `S2/angle` deg, `S2/rate` deg/s, `S1/pressed` 0/1,
    `B/angle` deg, `B/speed` deg/s. Wrap in `gymnasium.wrappers.FlattenObservation` for one
    vector (keys in sorted order).

    ## Rewards
    The increase of the world's score each step (so the return is the final score). Each score
    term is in `info["score/<term>"]`, the total in `info["score/total"]`. Optional shaping
    (`shaping={"energy": w, "smoothness": w}`) adds weighted dense terms to the reward only, each
    reported in `info["shaping/<term>"]`: energy = -sum(action^2) * control period, smoothness =
    -sum of squared action changes.

    ## Starting State
    The world's start pose with its seeded jitter; sensor biases drawn per device from the seed.

    ## Episode End
    Terminated when the world's finish condition is met or the robot topples; truncated at the
    world's time limit.

    ## Arguments
    `world` (name, path or WorldSpec), `robot` (name, path or RobotSpec; default: the world's),
    `render_mode` ("rgb_array" top-down numpy picture, or "human" pygame window),
    `action_mode` ("duty" | "speed"), `control_dt` / `physics_dt` (s), `opponent` (the built-in
    policy for the other seats of a head-to-head world: "seeker" or "idle"), `randomize` (domain
    randomisation for training: battery 7.2-9 V and wider sensor tolerances, see docs/parts.md),
    `shaping` (see Rewards).

    ## Version History
    v0: first version.
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 25}

    def __init__(self, world: str | Path | WorldSpec = "line-follow", robot: str | Path | RobotSpec | None = None,
                 render_mode: str | None = None, action_mode: str = "duty", control_dt: float = CONTROL_DT,
                 physics_dt: float = PHYSICS_DT, opponent: str = "seeker", randomize: bool = False,
                 shaping: dict[str, float] | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r}: use one of {self.metadata['render_modes']} or None")
        if action_mode not in ("duty", "speed"):
            raise ValueError(f"action_mode {action_mode!r}: use 'duty' or 'speed'")
        self.shaping = dict(shaping or {})
        bad = set(self.shaping) - set(self.SHAPING_TERMS)
        if bad:
            raise ValueError(f"unknown shaping terms {sorted(bad)}: use {', '.join(self.SHAPING_TERMS)}")
        self.match = Match(world, [robot], control_dt, physics_dt, randomize=randomize)
        self.world_spec, self.world, self.sim = self.match.world_spec, self.match.world, self.match.sim
        self.robot, self.robot_spec = self.match.robots[0], self.match.robot_specs[0]
        # head-to-head worlds: the other seats are driven by a built-in opponent
        self.opponents = [opponents.make(opponent) for _ in range(self.match.players - 1)]
        self.render_mode, self.action_mode = render_mode, action_mode
        self.metadata = dict(self.metadata, render_fps=int(round(1.0 / control_dt / max(1, round(0.04 / control_dt)))))
        self._obs = self.packer = ObservationPacker(self.robot)
        self.keys = self._obs.keys
        self.observation_space = self._obs.space
        self.action_space = spaces.Box(-1.0, 1.0, (len(self.robot.ports),), np.float32)
        self._n_actions, self._commands = len(self.robot.ports), ActionMap(self.robot, action_mode)
        self._topdown: TopDown | None = None
        self._window = None

    # -- gymnasium API ---------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        # a seed maps to the same SeedSequence as `arena run --seed` (same layout, same noise);
        # without one the next episode's entropy comes from np_random
        ss = np.random.SeedSequence(seed if seed is not None else int(self.np_random.integers(0, 2**63)))
        obs = self.match.reset(ss)
        self.last_obs = obs[0]
        self._last_action = np.zeros(self.action_space.shape)
        for o in self.opponents:
            o.reset(0)
        self.score = self.match.scorer.total(0)
        return self._obs(self.last_obs), self._info()

    def step(self, action):
        raw, reward, terminated, truncated, info = self.step_raw(action)
        return self.packer(raw), reward, terminated, truncated, info

    def step_raw(self, action):
        """step(), with the observation as raw readings (self.packer packs them)."""
        a = clean_action(action, self._n_actions)
        out = self.step_commands(self._commands(a))
        if not self.shaping:
            return out
        obs, reward, terminated, truncated, info = out
        arr = np.array(a)
        reward += self._shape(arr, info)
        self._last_action = arr
        return obs, reward, terminated, truncated, info

    SHAPING_TERMS = ("energy", "smoothness")

    def _shape(self, a: np.ndarray, info: dict) -> float:
        """Optional dense terms added to the reward (never to the score), each weighted and
        reported in info["shaping/<term>"]:
        energy: -sum(action^2) * control period (s): prefer gentle motors;
        smoothness: -sum((action - previous action)^2): prefer steady commands."""
        total = 0.0
        for name, w in self.shaping.items():
            if name == "energy":
                v = -float(np.dot(a, a)) * self.sim.control_dt
            else:
                v = -float(np.sum((a - self._last_action) ** 2))
            info[f"shaping/{name}"] = v
            total += w * v
        return total

    def step_commands(self, commands: dict):
        """One control period with brick-level motor commands (see Motor.command); returns the raw
        observation dict (floats and small arrays), reward, terminated, truncated, info. Other
        players, if the world has them, are driven by the built-in opponent."""
        match = self.match
        if self.opponents:
            obs = match.step([commands] + [o.act(ob) for o, ob in zip(self.opponents, match.obs[1:], strict=True)])
        else:
            obs = match.step([commands])
        self.last_obs = raw = obs[0]
        total = match.scorer.total(0)
        reward, self.score = total - self.score, total
        if self.render_mode == "human":
            self.render()
        terminated = match.terminated
        truncated = not terminated and match.steps >= match.max_steps
        return raw, reward, terminated, truncated, score_info(match, 0)

    @property
    def time(self) -> float:
        return self.match.time

    @property
    def steps(self) -> int:
        return self.match.steps

    def _info(self) -> dict:
        return score_info(self.match, 0)

    def info_keys(self) -> list[str]:
        """Every key info can carry (step infos add the shaping terms to reset's)."""
        return ([f"score/{t.name}" for t in self.match.scorer.specs] + ["score/total", "time"]
                + [f"shaping/{n}" for n in self.shaping])

    def score_card(self):
        return self.match.scorer.card(0)

    def state_digest(self) -> bytes:
        return self.match.state_digest()

    # -- rendering -------------------------------------------------------------------------------
    def render(self):
        if self.render_mode is None:
            return None
        if self._topdown is None or self._topdown.layout is not self.match.layout:
            self._topdown = TopDown(self.world, layout=self.match.layout)
        frame = self._topdown.frame([(r, r.pose) for r in self.match.robots], self.match.snapshot().objects)
        if self.render_mode == "rgb_array":
            return frame
        from arena.envs.window import Window  # pygame only when a window is asked for

        if self._window is None:
            self._window = Window(frame.shape[1], frame.shape[0], title=f"Kit Arena - {self.world_spec.id}")
        self._window.show(frame, f"t={self.time:6.2f}s  score={self.score:7.2f}")
        return None

    def close(self):
        if self._window is not None:
            self._window.close()
            self._window = None
        self.match.close()

"""Gymnasium interface: one robot in one challenge world."""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from arena.envs import features as feats
from arena.envs import opponents
from arena.match import Match, load_robot_spec, load_world_spec  # noqa: F401 - re-exported for callers
from arena.robot.spec import RobotSpec
from arena.sim import CONTROL_DT, PHYSICS_DT
from arena.world import shaping as shaping_terms
from arena.world.draw import TopDown
from arena.world.spec import WorldSpec

OBSERVATIONS = ("dict", "scaled")


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
    """info for one player: every score term as score/<term>, the total, the simulated time, and
    success: the world's finish condition met, this robot upright and not knocked out."""
    info = match.scorer.info(player)
    info["time"] = match.time
    info["success"] = succeeded(match, player)
    return info


def succeeded(match: Match, player: int) -> bool:
    scorer = match.scorer
    if not scorer.finished or match.toppled(player):
        return False
    for t, st in zip(scorer.specs, scorer.states[player], strict=True):
        if t.kind == "knockout" and st.outcome != "win":
            return False
    return True


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
    `observation="scaled"`: one `Box(-1, 1)` float32 vector instead, built by
    arena.envs.features (readings over their full range, angles as sin and cos, the colour id
    one-hot, motor speeds over the motor's top speed) from `obs_keys` (default: every key) and
    stacked over the last `stack` control steps, oldest first. `privileged=True` appends (scaled)
    or adds under "privileged" (dict) ground truth: see arena.world.shaping.ground_truth.

    ## Rewards
    The increase of the world's score each step (so the return is the final score). Each score
    term is in `info["score/<term>"]`, the total in `info["score/total"]`, and `info["success"]`
    says whether the world's goal was met (its finish condition, not toppled, not knocked out).
    Optional shaping adds weighted dense terms to the reward only (never to the score), each
    reported unweighted in `info["shaping/<term>"]`: `shaping=("progress", "line")` switches on
    the world's declared terms at their declared weights, `shaping={"progress": 50.0}` sets the
    weights (arena.world.shaping; docs/training.md lists the kinds).

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
    `shaping` (see Rewards), `observation` ("dict" | "scaled"), `obs_keys`, `stack`, `privileged`
    (see Observation Space), `lost_after` (training only: mm from the world's scored path beyond
    which the episode ends, terminated with info["lost"] = True; None: never), `random_start`
    (training only: each episode starts at a random point of the scored path, facing along it).

    ## Version History
    v0: first version.
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 25}

    def __init__(self, world: str | Path | WorldSpec = "line-follow", robot: str | Path | RobotSpec | None = None,
                 render_mode: str | None = None, action_mode: str = "duty", control_dt: float = CONTROL_DT,
                 physics_dt: float = PHYSICS_DT, opponent: str = "seeker", randomize: bool = False,
                 shaping: dict[str, float] | tuple[str, ...] | None = None, observation: str = "dict",
                 obs_keys: tuple[str, ...] | None = None, stack: int = 1, privileged: bool = False,
                 lost_after: float | None = None, random_start: bool = False):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r}: use one of {self.metadata['render_modes']} or None")
        if action_mode not in ("duty", "speed"):
            raise ValueError(f"action_mode {action_mode!r}: use 'duty' or 'speed'")
        if observation not in OBSERVATIONS:
            raise ValueError(f"observation {observation!r}: use one of {', '.join(OBSERVATIONS)}")
        if int(stack) < 1 or (int(stack) > 1 and observation != "scaled"):
            raise ValueError(f"stack={stack}: use a whole number >= 1, and stack > 1 only with observation='scaled'")
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
        self._shaper = shaping_terms.Shaper(shaping_terms.choose(self.world_spec, shaping), self.sim.control_dt)
        self.shaping = dict(self._shaper.weights)
        self.privileged, self.stack = bool(privileged), int(stack)
        self._n_priv = len(shaping_terms.targets(self.world_spec)) + 4 if privileged else 0
        self._lost_path = None
        if lost_after is not None:  # training only: end the episode once the robot is lost
            paths = [p for p, _ in shaping_terms.targets(self.world_spec) if p is not None]
            if not paths or not lost_after > 0:
                raise ValueError(f"lost_after={lost_after}: needs a world with a scored path and a distance > 0 (mm)")
            self._lost_path, self._lost_m = paths[0], float(lost_after) / 1000.0
        self._start_path = None
        if random_start:  # training only: start anywhere along the scored path, facing along it
            paths = [p for p, _ in shaping_terms.targets(self.world_spec) if p is not None]
            if not paths:
                raise ValueError("random_start=True needs a world with a scored path (path_progress or laps)")
            self._start_path = paths[0]
        self.obs_plan = None
        if observation == "scaled":
            self._init_scaled(obs_keys)
        elif obs_keys is not None:
            raise ValueError("obs_keys selects the keys of observation='scaled': pass that too")
        elif privileged:
            self.observation_space = spaces.Dict({**self._obs.space.spaces,
                                                  "privileged": spaces.Box(-1.0, 1.0, (self._n_priv,), np.float32)})
        self.action_space = spaces.Box(-1.0, 1.0, (len(self.robot.ports),), np.float32)
        self._n_actions, self._commands = len(self.robot.ports), ActionMap(self.robot, action_mode)
        self._topdown: TopDown | None = None
        self._window = None

    def _place_on_path(self) -> None:
        """Move the robot to a random point of the scored path (drawn from np_random), restart the
        score there, and take one idle control step so that the readings are of the new place."""
        m = self.match
        path = m.layout.paths[self._start_path]
        i = int(self.np_random.integers(len(path.points)))
        x, y = path.points[i]
        m.place_robot(0, float(x), float(y), path.heading(i))
        m.scorer.reset(m.layout)
        m.scorer.update(m.snapshot())
        self.last_obs = m.step([{p: 0.0 for p in self.robot.ports}] + [{} for _ in self.opponents])[0]

    def _init_scaled(self, obs_keys) -> None:
        names = self._obs.names
        keys = list(obs_keys) if obs_keys is not None else list(names)
        bad = [k for k in keys if k not in names]
        if bad or not keys:
            raise ValueError(f"obs_keys {bad or keys}: this robot's keys are {', '.join(names)}")
        speeds = {p: math.degrees(self.robot.motors[p].model.max_speed) for p in self.robot.ports}
        self.obs_plan = feats.plan_for(keys, speeds)
        n = feats.size(self.obs_plan, dict(zip(names, self._obs.sizes, strict=True)))
        self.observation_space = spaces.Box(-1.0, 1.0, (n * self.stack + self._n_priv,), np.float32)
        self._stack = feats.Stack(self.stack)

    def _observe(self, raw: dict, first: bool = False):
        """The observation for raw readings, in the chosen form (stacking when scaled)."""
        if self.obs_plan is None:
            obs = self._obs(raw)
            if self.privileged:
                obs["privileged"] = np.array(self._ground_truth(), np.float32)
            return obs
        f = feats.features(raw, self.obs_plan)
        vec = self._stack.reset(f) if first else self._stack.push(f)
        if self.privileged:
            vec = vec + self._ground_truth()
        self.last_vec = vec
        return vec

    def _ground_truth(self) -> list[float]:
        return shaping_terms.ground_truth(self.match.layout, self.match.snapshot(), 0, self.world_spec.mat_size)

    def observation(self, raw: dict):
        """What reset/step return for the raw readings last observed (scaled: a fresh array)."""
        if self.obs_plan is None:
            return self._obs(raw) if not self.privileged else self._observe(raw)
        return np.array(self.last_vec, np.float32)

    # -- gymnasium API ---------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        # a seed maps to the same SeedSequence as `arena run --seed` (same layout, same noise);
        # without one the next episode's entropy comes from np_random
        ss = np.random.SeedSequence(seed if seed is not None else int(self.np_random.integers(0, 2**63)))
        obs = self.match.reset(ss)
        self.last_obs = obs[0]
        if self._start_path is not None:
            self._place_on_path()
        for o in self.opponents:
            o.reset(0)
        self.score = self.match.scorer.total(0)
        if self.shaping:
            self._shaper.reset(self.match.layout, self.match.snapshot(), self._n_actions)
        obs = self._observe(self.last_obs, first=True)
        return (self.observation(self.last_obs) if self.obs_plan is not None else obs), self._info()

    def step(self, action):
        raw, reward, terminated, truncated, info = self.step_raw(action)
        return self.observation(raw), reward, terminated, truncated, info

    def step_raw(self, action):
        """step(), with the observation as raw readings (self.observation(raw) gives the
        chosen form; when scaled, self.last_vec already holds it)."""
        a = clean_action(action, self._n_actions)
        out = self.step_commands(self._commands(a))
        if self.obs_plan is not None:
            self._observe(out[0])
        if self._lost_path is not None and not out[2]:
            me = self.match.snapshot().robots[0]
            if self.match.layout.paths[self._lost_path].nearest(me.x, me.y)[1] > self._lost_m:
                out[4]["lost"] = True
                out = (out[0], out[1], True, False, out[4])
        if not self.shaping:
            return out
        obs, reward, terminated, truncated, info = out
        values = self._shaper.step(self.match.snapshot(), a)
        for name, v in values.items():
            info[f"shaping/{name}"] = v
        return obs, reward + self._shaper.reward(values), terminated, truncated, info

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
        return ([f"score/{t.name}" for t in self.match.scorer.specs] + ["score/total", "time", "success"]
                + [f"shaping/{n}" for n in self.shaping] + (["lost"] if self._lost_path is not None else []))

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

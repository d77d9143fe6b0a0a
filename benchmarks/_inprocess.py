"""The bundled line follower driving the rover round line-follow in this process, as an RL
policy would run: the in-process baseline the other benchmarks compare against. (Bundled,
trusted code; community controllers are never imported into the arena.)"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from arena.envs.single import ArenaEnv

ROOT = Path(__file__).resolve().parent.parent
LINE_FOLLOWER = ROOT / "agents" / "line_follower"


def line_follower_episode(seed: int = 0, world: str = "line-follow") -> tuple[float, float, int]:
    """One whole episode of `world` (an id or a path): (simulated s, wall s from reset to the end, control steps)."""
    spec = importlib.util.spec_from_file_location("line_follower", LINE_FOLLOWER / "controller.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ctl = mod.Controller()
    env = ArenaEnv(world, "rover")
    t0 = time.perf_counter()
    env.reset(seed=seed)
    ctl.reset(seed, {})
    raw = env.last_obs
    while True:
        raw, _r, term, trunc, _i = env.step_commands(ctl.act(raw))
        if term or trunc:
            break
    wall = time.perf_counter() - t0
    sim, steps = env.time, env.steps
    env.close()
    return sim, wall, steps

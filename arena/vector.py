"""Many envs over a few processes (layer 6): the fast way to vectorise cheap envs.

gymnasium's AsyncVectorEnv runs one env per process and exchanges messages every step; an
arena step is cheap (about 0.15 ms), so those messages cost as much as the physics. Here each
worker process steps its share of the envs per message, so the message cost is shared by them:

    envs = gymnasium.make_vec("arena/LineFollow-v0", num_envs=16, vectorization_mode="vector_entry_point")
    envs = arena.vector.BatchedVectorEnv(16, workers=2, world="line-follow")

Same spaces and the same next-step autoreset as gymnasium's vector envs; env i is seeded
seed + i, so results do not depend on how envs are spread over workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .errors import ArenaError


def _stack(infos: list[dict]) -> dict:
    """Per-env info dicts -> one array per key (the worker does it, so the parent does not)."""
    return {k: np.array([d.get(k, 0.0) for d in infos]) for k in infos[0]}


def _worker(conn, count: int, env_kwargs: dict) -> None:
    from .env import ArenaEnv

    try:
        envs = [ArenaEnv(**env_kwargs) for _ in range(count)]
    except Exception as exc:  # noqa: BLE001 - a bad world or robot file: say so in the parent
        conn.send(("error", str(exc)))
        conn.close()
        return
    keys = [(k.key, int(np.prod(k.shape or (1,)))) for k in envs[0].keys]
    done = [False] * count

    def flat(obs: dict) -> np.ndarray:
        return np.concatenate([obs[k] for k, _ in keys])

    try:
        while True:
            cmd, arg = conn.recv()
            if cmd == "spaces":
                conn.send(("ok", (envs[0].observation_space, envs[0].action_space, keys)))
            elif cmd == "reset":
                seeds, options = arg
                out, infos = [], []
                for i, e in enumerate(envs):
                    o, info = e.reset(seed=seeds[i], options=options)
                    out.append(flat(o))
                    infos.append(info)
                done = [False] * count
                conn.send((np.stack(out), _stack(infos)))
            elif cmd == "step":
                out, rew, term, trunc, infos = [], [], [], [], []
                for i, e in enumerate(envs):
                    if done[i]:  # next-step autoreset, as gymnasium's vector envs do by default
                        o, info = e.reset()
                        r, te, tr = 0.0, False, False
                    else:
                        o, r, te, tr, info = e.step(arg[i])
                    done[i] = te or tr
                    out.append(flat(o))
                    rew.append(r)
                    term.append(te)
                    trunc.append(tr)
                    infos.append(info)
                conn.send((np.stack(out), np.array(rew), np.array(term), np.array(trunc), _stack(infos)))
            elif cmd == "close":
                break
    finally:
        for e in envs:
            e.close()
        conn.close()


class BatchedVectorEnv(VectorEnv):
    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs: int, workers: int | None = None, max_episode_steps=None, **env_kwargs):
        self.num_envs = int(num_envs)
        n_workers = max(1, min(self.num_envs, workers or os.cpu_count() or 1))
        # env i lives on worker i % n_workers, so seeds and results do not depend on the split
        self._share = [list(range(w, self.num_envs, n_workers)) for w in range(n_workers)]
        ctx = mp.get_context("spawn")  # never fork a process that may hold a physics client
        self._conns, self._procs = [], []
        for share in self._share:
            parent, child = ctx.Pipe()
            p = ctx.Process(target=_worker, args=(child, len(share), env_kwargs), daemon=True)
            p.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(p)
        self._closed = True
        for conn in self._conns:
            conn.send(("spaces", None))
        replies = [conn.recv() for conn in self._conns]
        for status, payload in replies:
            if status == "error":
                for p in self._procs:
                    p.join(timeout=5)
                raise ArenaError(payload)
        self._closed = False
        self.single_observation_space, self.single_action_space, self._keys = replies[0][1]
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._order = np.argsort(np.concatenate([np.array(s) for s in self._share]))

    def _gather(self, flats: list[np.ndarray], infos: list[dict]):
        flat = np.concatenate(flats)[self._order]
        obs, a = {}, 0
        for key, n in self._keys:
            obs[key] = np.ascontiguousarray(flat[:, a:a + n])
            a += n
        info = {}
        mask = np.ones(self.num_envs, dtype=bool)
        for k in infos[0]:
            info[k] = np.concatenate([d[k] for d in infos])[self._order]
            info["_" + k] = mask
        return obs, info

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None):
        if seed is None:
            seeds = [None] * self.num_envs
        elif isinstance(seed, int):
            seeds = [seed + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
        for conn, share in zip(self._conns, self._share, strict=True):
            conn.send(("reset", ([seeds[i] for i in share], options)))
        got = [conn.recv() for conn in self._conns]
        return self._gather([g[0] for g in got], [g[1] for g in got])

    def step(self, actions):
        actions = np.asarray(actions)
        for conn, share in zip(self._conns, self._share, strict=True):
            conn.send(("step", actions[share]))
        got = [conn.recv() for conn in self._conns]
        obs, info = self._gather([g[0] for g in got], [g[4] for g in got])
        cat = [np.concatenate([g[k] for g in got])[self._order] for k in (1, 2, 3)]
        return obs, cat[0], cat[1], cat[2], info

    def close_extras(self, **kwargs):
        if self._closed:
            return
        self._closed = True
        for conn in self._conns:
            try:
                conn.send(("close", None))
            except (BrokenPipeError, OSError):
                pass
        for p in self._procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()

"""Many envs over a few processes: the fast way to vectorise cheap envs.

gymnasium's AsyncVectorEnv runs one env per process and exchanges pickled messages every step;
an arena step is cheap (about 0.1 ms), so those messages cost as much as the physics. Here the
envs are split into one share per worker: the calling process steps the first share itself
while each other worker, a process on a core of its own, steps its share. Actions, observations,
rewards and infos live in shared memory; a step costs one byte each way per worker, and both
sides poll for that byte instead of sleeping (a process asleep on another core takes tens of
microseconds to wake):

    envs = gymnasium.make_vec("arena/LineFollow-v0", num_envs=16, vectorization_mode="vector_entry_point")
    envs = arena.envs.vector.BatchedVectorEnv(16, workers=2, world="line-follow")

Same spaces and the same next-step autoreset as gymnasium's vector envs (or same-step autoreset,
`autoreset_mode=AutoresetMode.SAME_STEP`: a finished env is reset within the step, its last
observation in info["final_obs"], as SB3 wants; arena.learn.sb3vec builds on it); env i is seeded
seed + i, so results do not depend on how envs are spread over workers. `max_episode_steps` cuts
episodes short (truncated), for training on shorter episodes than the world's time limit.

Workers are spawned (never forked): they import the main module again, so a script that builds
vector envs at its top level needs the `if __name__ == "__main__":` guard; without it the arena
says so instead of failing with a dead worker.
"""

from __future__ import annotations

import ast
import multiprocessing as mp
import os
import select
import sys
import time
import traceback

import numpy as np
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from arena.envs.single import flatten
from arena.errors import ArenaError

SPIN_S = 0.002  # how long a side polls for the other's signal before sleeping
STEP, RESET, CLOSE, DONE, FAILED = b"s", b"r", b"c", b"k", b"e"


def _signal(fd: int, code: bytes) -> None:
    os.write(fd, code)


def _await(fd: int) -> bytes:
    """The next signal byte on a non-blocking pipe (b"" if the other side is gone): poll,
    yielding the core, for up to SPIN_S, then sleep."""
    end = time.perf_counter() + SPIN_S
    while True:
        try:
            return os.read(fd, 1)
        except BlockingIOError:
            if time.perf_counter() > end:
                select.select([fd], [], [])
            else:
                os.sched_yield()


def _write_row(out: np.ndarray, row: int, raw: dict, names: list[str], sizes: list[int]) -> None:
    """Raw readings into row `row` of a float32 table, in observation key order."""
    out[row] = flatten(raw, names, sizes)


def _split_columns(table: np.ndarray, names: list[str], sizes: list[int]) -> dict:
    """{key: a fresh (rows, size) copy of that key's columns of the table}."""
    out, a = {}, 0
    for name, n in zip(names, sizes, strict=True):
        out[name] = table[:, a:a + n].copy()
        a += n
    return out


try:  # the compiled twins, when the optional build is present (arena/_speedups.py)
    from arena._fastpath import split_columns, write_row
except ImportError:
    split_columns, write_row = _split_columns, _write_row


class _Buffers:
    """The shared arrays of every env's action and results, row i = env i."""

    def __init__(self, raw: dict, n: int, n_act: int, n_obs: int, n_info: int):
        self.raw = raw
        self.act = np.frombuffer(raw["act"], np.float64).reshape(n, n_act)  # as given, like ArenaEnv.step
        self.obs = np.frombuffer(raw["obs"], np.float32).reshape(n, n_obs)
        self.rew = np.frombuffer(raw["rew"], np.float64)
        self.term = np.frombuffer(raw["term"], np.uint8)
        self.trunc = np.frombuffer(raw["trunc"], np.uint8)
        self.info = np.frombuffer(raw["info"], np.float64).reshape(n, n_info)
        self.final = np.frombuffer(raw["final"], np.float32).reshape(n, n_obs)  # same-step autoreset
        self.shape = (n, n_act, n_obs, n_info)

    @classmethod
    def create(cls, ctx, n: int, n_act: int, n_obs: int, n_info: int) -> _Buffers:
        raw = {"act": ctx.RawArray("d", n * n_act), "obs": ctx.RawArray("f", n * n_obs),
               "final": ctx.RawArray("f", n * n_obs),
               "rew": ctx.RawArray("d", n), "term": ctx.RawArray("B", n), "trunc": ctx.RawArray("B", n),
               "info": ctx.RawArray("d", n * n_info)}
        return cls(raw, n, n_act, n_obs, n_info)

    def __reduce__(self):  # to a spawned worker: the same memory, viewed again there
        return (_Buffers, (self.raw, *self.shape))


class _Share:
    """The envs one process steps (rows `rows` of the buffers), with next-step autoreset."""

    def __init__(self, rows: list[int], env_kwargs: dict, max_steps: int | None = None, same_step: bool = False):
        from arena.envs.single import ArenaEnv

        self.rows = rows
        self.envs = [ArenaEnv(**env_kwargs) for _ in rows]
        self.done = [False] * len(rows)
        self.steps = [0] * len(rows)
        self.max_steps, self.same_step = max_steps, same_step
        self.info_keys = self.envs[0].info_keys()

    def _write(self, buf: _Buffers, row: int, env, raw: dict, info: dict) -> None:
        if env.obs_plan is not None:  # scaled: the env has built the vector already
            buf.obs[row] = env.last_vec
        else:
            write_row(buf.obs, row, raw, env.packer.names, env.packer.sizes)
        info_row = buf.info[row]
        for j, k in enumerate(self.info_keys):
            info_row[j] = info.get(k, 0.0)

    def reset(self, buf: _Buffers, seeds: list, options) -> None:
        for row, e, s in zip(self.rows, self.envs, seeds, strict=True):
            _, info = e.reset(seed=s, options=options)
            self._write(buf, row, e, e.last_obs, info)
            buf.rew[row], buf.term[row], buf.trunc[row] = 0.0, 0, 0
        self.done = [False] * len(self.envs)
        self.steps = [0] * len(self.envs)

    def step(self, buf: _Buffers) -> None:
        for i, (row, e) in enumerate(zip(self.rows, self.envs, strict=True)):
            if self.done[i]:  # next-step autoreset, as gymnasium's vector envs do by default
                _, info = e.reset()
                raw, r, te, tr = e.last_obs, 0.0, False, False
                self.steps[i] = 0
            else:
                raw, r, te, tr, info = e.step_raw(buf.act[row])
                self.steps[i] += 1
                if self.max_steps is not None and self.steps[i] >= self.max_steps and not te:
                    tr = True
            self._write(buf, row, e, raw, info)
            buf.rew[row], buf.term[row], buf.trunc[row] = r, te, tr
            if (te or tr) and self.same_step:  # keep the last observation and the final info, then reset
                buf.final[row] = buf.obs[row]
                e.reset()
                self.steps[i] = 0
                if e.obs_plan is not None:
                    buf.obs[row] = e.last_vec
                else:
                    write_row(buf.obs, row, e.last_obs, e.packer.names, e.packer.sizes)
            else:
                self.done[i] = te or tr

    def close(self) -> None:
        for e in self.envs:
            e.close()


def _worker(conn, go, done, buf: _Buffers, rows: list[int], env_kwargs: dict, cpu: int | None,
            share_args: tuple = ()) -> None:
    """A worker process: builds its share, then steps it on every signal until told to close."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    go_fd, done_fd = go.fileno(), done.fileno()
    os.set_blocking(go_fd, False)
    try:
        share = _Share(rows, env_kwargs, *share_args)
    except Exception as exc:  # noqa: BLE001 - a bad world or robot file: say so in the parent
        conn.send(("error", str(exc)))
        return
    conn.send(("ok", None))
    try:
        while True:
            code = _await(go_fd)
            if code == STEP:
                share.step(buf)
            elif code == RESET:
                share.reset(buf, *conn.recv())
            else:  # CLOSE, or the parent is gone
                break
            _signal(done_fd, DONE)
    except Exception:  # noqa: BLE001 - a bug in a step: the parent raises it with this trace
        conn.send(("error", traceback.format_exc()))
        _signal(done_fd, FAILED)
    finally:
        share.close()


def _main_file() -> str | None:
    main = sys.modules.get("__main__")
    f = getattr(main, "__file__", None)
    return f if f and f.endswith(".py") and os.path.isfile(f) else None


def _has_guard(path: str) -> bool:
    """Whether a script has a top-level `if __name__ == "__main__":`."""
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except (OSError, SyntaxError, ValueError):
        return True  # cannot tell: say nothing rather than something wrong
    for node in tree.body:
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test):
            return True
    return False


GUARD_FIX = ('the main script {f} builds vector envs at its top level with no `if __name__ == "__main__":` guard; '
             "the env's worker processes are spawned and import the main script again, so they would build envs "
             'in turn: put that code under `if __name__ == "__main__":` (or pass workers=1)')


def _check_main_guard() -> None:
    """Before spawning: refuse, with the fix, when this call comes from the top level of a main
    script that has no __main__ guard (each spawned worker would re-run it and die)."""
    f = _main_file()
    if f is None or _has_guard(f):
        return
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") in ("__main__", "__mp_main__"):
            raise ArenaError(GUARD_FIX.format(f=f))
        frame = frame.f_back


def _guard_hint() -> str:
    f = _main_file()
    return "" if f is None or _has_guard(f) else ": " + GUARD_FIX.format(f=f)


class BatchedVectorEnv(VectorEnv):
    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs: int, workers: int | None = None, max_episode_steps: int | None = None,
                 autoreset_mode: AutoresetMode = AutoresetMode.NEXT_STEP, **env_kwargs):
        """workers: how many processes step envs, this one included (default: one per CPU this
        process may use); workers=1 steps them all here, as a sync vector env would.
        max_episode_steps: truncate episodes after this many steps (None: the world's time limit).
        autoreset_mode: NEXT_STEP (gymnasium's default) or SAME_STEP (see the module docstring)."""
        self.num_envs = int(num_envs)
        mode = AutoresetMode(autoreset_mode)
        if mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(f"autoreset_mode {mode}: use AutoresetMode.NEXT_STEP or SAME_STEP")
        if max_episode_steps is not None and int(max_episode_steps) < 1:
            raise ValueError(f"max_episode_steps={max_episode_steps}: use a whole number >= 1, or None")
        self.metadata = dict(self.metadata, autoreset_mode=mode)
        self._same_step = mode is AutoresetMode.SAME_STEP
        share_args = (None if max_episode_steps is None else int(max_episode_steps), self._same_step)
        allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [None]
        n_workers = max(1, min(self.num_envs, workers or len(allowed)))
        # env i lives on worker i % n_workers, so seeds and results do not depend on the split
        self._rows = [list(range(w, self.num_envs, n_workers)) for w in range(n_workers)]
        self._procs, self._links = [], []
        self._closed = True
        self._local = _Share(self._rows[0], env_kwargs, *share_args)  # a bad world file raises here, plainly
        first = self._local.envs[0]
        self.single_observation_space, self.single_action_space = first.observation_space, first.action_space
        self._names, self._sizes = first.packer.names, first.packer.sizes
        self._flat = first.obs_plan is not None
        if first.privileged and not self._flat:
            self._local.close()
            raise ArenaError("privileged=True in a vector env needs observation='scaled' (one vector per env)")
        n_obs = first.observation_space.shape[0] if self._flat else sum(self._sizes)
        self._info_keys = self._local.info_keys
        ctx = mp.get_context("spawn")  # never fork a process that may hold a physics client
        if n_workers > 1:
            _check_main_guard()
        self._buf = _Buffers.create(ctx, self.num_envs, self.single_action_space.shape[0], n_obs,
                                    len(self._info_keys))
        for w, rows in enumerate(self._rows[1:], start=1):
            conn, child_conn = ctx.Pipe()
            go_r, go_w = ctx.Pipe(duplex=False)  # signal bytes, written and read raw
            done_r, done_w = ctx.Pipe(duplex=False)
            cpu = allowed[w % len(allowed)] if len(allowed) >= n_workers else None
            p = ctx.Process(target=_worker, args=(child_conn, go_r, done_w, self._buf, rows, env_kwargs, cpu,
                                                  share_args), daemon=True)
            p.start()
            for c in (child_conn, go_r, done_w):
                c.close()
            os.set_blocking(done_r.fileno(), False)
            self._procs.append(p)
            self._links.append((conn, go_w, done_r))
        self._closed = False
        self._needs_reset = True
        for conn, _, _ in self._links:
            try:
                status, payload = conn.recv() if conn.poll(60) else ("error", "a worker did not start within 60 s")
            except (EOFError, OSError):
                status, payload = "error", "a vector env worker died while starting" + _guard_hint()
            if status == "error":
                self.close()
                raise ArenaError(payload)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

    def _results(self, finished: np.ndarray | None = None):
        b = self._buf
        obs = b.obs.copy() if self._flat else split_columns(b.obs, self._names, self._sizes)
        by_key = b.info.T.copy()  # one copy; each key's row of it is contiguous
        mask = np.ones(self.num_envs, dtype=bool)
        info = {}
        for j, k in enumerate(self._info_keys):
            info[k] = by_key[j]
            info["_" + k] = mask
        if finished is not None and finished.any():  # same-step autoreset: the last observations
            info["final_obs"] = b.final.copy() if self._flat else split_columns(b.final, self._names, self._sizes)
            info["_final_obs"] = finished
        return obs, info

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None):
        if seed is None:
            seeds = [None] * self.num_envs
        elif isinstance(seed, int):
            seeds = [seed + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
        share_seeds = [[seeds[i] for i in rows] for rows in self._rows]
        try:  # the arguments first: a worker reads them as soon as it sees the signal
            for (conn, _, _), seeds_w in zip(self._links, share_seeds[1:], strict=True):
                conn.send((seeds_w, options))
        except Exception as exc:  # noqa: BLE001 - unpicklable options, or a worker gone
            self.close()
            raise ArenaError(f"reset options could not be sent to the vector env workers: {exc}") from exc
        self._signal_all(RESET)
        self._in_step(lambda: self._local.reset(self._buf, share_seeds[0], options))
        self._needs_reset = False
        return self._results()

    def _signal_all(self, code: bytes) -> None:
        try:
            for _, go, _ in self._links:
                _signal(go.fileno(), code)
        except OSError:
            self.close()
            raise ArenaError("a vector env worker failed: the worker process died") from None

    def _collect(self) -> None:
        """Wait for every worker's done signal; a worker's failure is raised here."""
        for conn, _, done in self._links:
            if _await(done.fileno()) != DONE:
                try:
                    why = conn.recv()[1] if conn.poll(1) else "the worker process died"
                except (EOFError, OSError):
                    why = "the worker process died"
                self.close()
                raise ArenaError(f"a vector env worker failed: {why}")

    def _in_step(self, local) -> None:
        """Run this process's share while the signalled workers run theirs, then wait for them.
        If the local share raises (an interrupt, say), the workers are still waited for, so no
        stale done signal is left to be read as the next step's."""
        try:
            local()
        except BaseException:
            self._collect()
            raise
        self._collect()

    def step(self, actions):
        if self._needs_reset:
            raise ResetNeeded("call reset() before step() on a vector env")
        b = self._buf
        b.act[:] = actions
        self._signal_all(STEP)
        self._in_step(lambda: self._local.step(b))
        term, trunc = b.term.astype(bool), b.trunc.astype(bool)
        obs, info = self._results(term | trunc if self._same_step else None)
        return obs, b.rew.copy(), term, trunc, info

    def close_extras(self, **kwargs):
        if self._closed:
            return
        self._closed = True
        for _, go, _ in self._links:
            try:
                _signal(go.fileno(), CLOSE)
            except OSError:
                pass
        for p in self._procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
        for link in self._links:
            for c in link:
                c.close()
        self._local.close()

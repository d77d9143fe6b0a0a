"""Kit Arena: a PyBullet simulator and challenge arena for kit robots.

`import arena` registers every bundled world as a Gymnasium id (arena/LineFollow-v0, ...): at once
if gymnasium is already imported, else as soon as it is (so a process that never uses Gymnasium,
such as a tournament worker or most CLI commands, does not pay for importing it). The envs are
importable from the top, loaded on first use (pybullet loads only when an env does):

    arena.ArenaEnv           the Gymnasium env            (arena.envs.single)
    arena.ArenaParallelEnv   the PettingZoo ParallelEnv   (arena.envs.parallel)
    arena.BatchedVectorEnv   the batched vector env       (arena.envs.vector)

The package, by layer (imports point down only; `make lint` checks it with import-linter):
cli -> compete -> controllers -> envs -> match -> world -> robot -> kit -> sim -> foundations
(content, tomlio, errors, units). README "Layout" says what each holds.
"""

__version__ = "0.1.0"

import sys as _sys  # noqa: E402

from arena import _speedups  # noqa: E402 - before any module it may compile is imported

_speedups.install()

_EXPORTS = {"ArenaEnv": "arena.envs.single", "ArenaParallelEnv": "arena.envs.parallel",
            "BatchedVectorEnv": "arena.envs.vector"}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    """The envs named in _EXPORTS, imported when first asked for."""
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'arena' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


_CONTROL_DT = 0.010  # s: arena.sim.CONTROL_DT, restated so registering does not load pybullet


def _register() -> None:
    """Register every bundled world as a Gymnasium id (arena/<Id>), e.g. arena/LineFollow-v0.
    max_episode_steps is the world's time_limit in control steps: the same episode `arena run`
    scores (pass max_episode_steps to gymnasium.make for shorter training episodes)."""
    from gymnasium.envs.registration import register, registry

    from arena.content import listing
    from arena.errors import ArenaError
    from arena.world.spec import load_world

    for wf in listing("worlds"):
        try:
            spec = load_world(wf)
        except ArenaError:
            continue  # `arena check` reports broken world files; importing must not fail
        env_id = f"arena/{spec.id}"
        if env_id not in registry:
            register(id=env_id, entry_point="arena.envs.single:ArenaEnv", kwargs={"world": str(wf)},
                     vector_entry_point="arena.envs.vector:BatchedVectorEnv",
                     max_episode_steps=int(round(spec.time_limit / _CONTROL_DT)),
                     disable_env_checker=False)


class _RegisterOnImport:
    """A meta path finder that waits for `import gymnasium` and registers the worlds right after
    gymnasium's own envs (then leaves sys.meta_path): gymnasium.make("arena/...") works after
    `import arena` in whatever order the two are imported, without importing gymnasium here."""

    def find_spec(self, name, path=None, target=None):
        if name != "gymnasium":
            return None
        self.remove()
        spec = None
        for finder in list(_sys.meta_path):  # whichever finder would have found it, had we not been first
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module) -> None:
            run(module)
            _register()

        spec.loader.exec_module = exec_module
        return spec

    def remove(self) -> None:
        if self in _sys.meta_path:
            _sys.meta_path.remove(self)


if "gymnasium" in _sys.modules:
    _register()
elif not any(type(f).__name__ == "_RegisterOnImport" for f in _sys.meta_path):  # once, even if reloaded
    _sys.meta_path.insert(0, _RegisterOnImport())

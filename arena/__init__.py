"""Kit Arena: a PyBullet simulator and challenge arena for kit robots."""

__version__ = "0.1.0"

from arena import _speedups  # noqa: E402 - before any module it may compile is imported

_speedups.install()


def _register() -> None:
    """Register every bundled world as a Gymnasium id (arena/<Id>), e.g. arena/LineFollow-v0."""
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
                     vector_entry_point="arena.envs.vector:BatchedVectorEnv", max_episode_steps=None,
                     disable_env_checker=False)


_register()

"""Controllers in their own process: the protocol, validation, statuses."""

import os
import textwrap

import pytest

from arena.controllers.protocol import ERROR, INVALID, OK, TIMEOUT, InvalidAction, validate_action
from arena.controllers.runner import run_episode
from arena.controllers.sandbox import Limits

PORTS = ["B", "C"]


class IntSub(int):
    pass


@pytest.mark.parametrize("action, words", [
    ([0.1, 0.2], "dict"),
    ({"A": 0.5}, "unknown motor port"),
    ({"B": "fast"}, "number"),
    ({"B": True}, "number"),
    ({"B": IntSub(1)}, "number"),
    ({"B": float("nan")}, "finite"),
    ({"B": float("inf")}, "finite"),
    ({"B": [0.1]}, "number"),
    ({"B": {"warp": 9}}, "unknown command"),
    ({"B": {"stop": "explode"}}, "stop must be"),
    ({f"P{i}": 0 for i in range(1000)}, "entries"),
])
def test_invalid_actions_are_named(action, words):
    with pytest.raises(InvalidAction, match=words):
        validate_action(action, PORTS)


def test_valid_actions_are_clipped_and_structured():
    assert validate_action({"B": 1e300, "C": -3}, PORTS) == {"B": 1.0, "C": -1.0}
    assert validate_action({"B": {"run": 360}, "C": {"stop": "hold"}}, PORTS) == {"B": {"run": 360.0},
                                                                                     "C": {"stop": "hold"}}


def _agent(tmp_path, body: str):
    f = tmp_path / "agent.py"
    f.write_text(textwrap.dedent(body))
    return f


FAST = Limits(init_s=5.0, step_s=0.05, bank_s=0.5)


def test_line_follower_completes_a_lap_in_its_own_process(root):
    r = run_episode("line-follow", "rover", root / "agents" / "line_follower", seed=0)
    assert r.status == OK, r.reason
    assert r.score["terms"]["laps"]["value"] >= 1.0
    assert r.isolation in ("bwrap", "rlimit")
    assert r.agent_hash and len(r.digest) == 32


def test_controller_that_raises_mid_episode_is_an_error_with_its_message(tmp_path):
    a = _agent(tmp_path, """
        class Controller:
            n = 0
            def act(self, obs):
                self.n += 1
                if self.n == 50:
                    raise RuntimeError("lost the plot")
                print("step", self.n)
                return {"B": 0.3, "C": 0.3}
    """)
    r = run_episode("line-follow", None, a, seed=0, limits=FAST)
    assert r.status == ERROR
    assert "in act()" in r.reason and "RuntimeError: lost the plot" in r.reason
    assert r.steps == 49 and r.sim_time == pytest.approx(0.49)
    assert "step 49" in r.output


def test_import_error_is_reported(tmp_path):
    a = _agent(tmp_path, "import no_such_module\n")
    r = run_episode("line-follow", None, a, seed=0, limits=FAST)
    assert r.status == ERROR and "while loading" in r.reason and "no_such_module" in r.reason


def test_missing_controller_class(tmp_path):
    a = _agent(tmp_path, "class NotAController: pass\n")
    r = run_episode("line-follow", None, a, seed=0, limits=FAST)
    assert r.status == ERROR and "class Controller" in r.reason


def test_infinite_loop_times_out_and_the_arena_carries_on(tmp_path):
    a = _agent(tmp_path, """
        class Controller:
            def act(self, obs):
                while True:
                    pass
    """)
    r = run_episode("line-follow", None, a, seed=0, limits=FAST)
    assert r.status == TIMEOUT and "time bank" in r.reason
    assert r.steps == 0


def test_invalid_action_is_invalid(tmp_path):
    a = _agent(tmp_path, """
        class Controller:
            def act(self, obs):
                return {"B": float("nan")}
    """)
    r = run_episode("line-follow", None, a, seed=0, limits=FAST)
    assert r.status == INVALID and "NaN" in r.reason


def test_escape_sequences_in_output_are_escaped(tmp_path):
    a = _agent(tmp_path, """
        import sys
        class Controller:
            def reset(self, seed, info):
                sys.stderr.write("\\x1b[2Jcleared\\n")
            def act(self, obs):
                raise SystemExit(3)
    """)
    r = run_episode("line-follow", None, a, seed=0, limits=FAST)
    assert r.status == ERROR
    assert "\x1b" not in r.output and "\\x1b[2Jcleared" in r.output


def test_controller_sees_no_arena_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ARENA_SECRET_TOKEN", "hunter2")
    a = _agent(tmp_path, """
        import os
        class Controller:
            def act(self, obs):
                raise RuntimeError("env=" + ",".join(k for k in os.environ if "SECRET" in k))
    """)
    r = run_episode("line-follow", None, a, seed=0, limits=FAST)
    assert r.status == ERROR and "env=" in r.reason and "ARENA_SECRET_TOKEN" not in r.reason
    assert os.environ["ARENA_SECRET_TOKEN"] == "hunter2"


# -- where the processes run ---------------------------------------------------------------------------
def test_placement_gives_each_controller_a_spare_core_or_shares_one():
    from arena.controllers.placement import placement

    own = placement(1, allowed={0, 1}, current=1)
    assert (own.arena, own.controllers, own.spin) == (1, (0,), True)
    shared = placement(2, allowed={0, 1}, current=0)  # a two-player match on two cores
    assert (shared.arena, shared.controllers, shared.spin) == (0, (0, 0), False)
    pinned = placement(1, allowed={3}, current=3)  # a tournament worker pinned to CPU 3
    assert (pinned.arena, pinned.controllers, pinned.spin) == (3, (3,), False)
    moved = placement(1, allowed={2, 5}, current=0)  # running on a CPU no longer allowed
    assert (moved.arena, moved.controllers, moved.spin) == (2, (5,), True)
    idle = placement(1, allowed={0, 1}, current=1, idle={0: 0.9, 1: 0.1})  # the other core is free
    assert (idle.arena, idle.controllers, idle.spin) == (1, (0,), True)
    owned = placement(1, allowed={0, 1}, current=1, idle={0: 0.2, 1: 0.0})  # another process owns it
    assert (owned.arena, owned.controllers, owned.spin) == (None, (None,), False)  # nobody pinned or polls
    one_free = placement(1, allowed={0, 1, 2}, current=0, idle={0: 0.0, 1: 0.0, 2: 0.7})
    assert (one_free.arena, one_free.controllers) == (0, (2,))  # the idle one, not the first
    pinned_busy = placement(1, allowed={3}, current=3, idle={3: 0.0})  # a tournament worker: as before
    assert (pinned_busy.arena, pinned_busy.controllers, pinned_busy.spin) == (3, (3,), False)


def test_idle_probe_reads_every_cpu_and_gives_the_affinity_back():
    from arena.controllers.placement import IdleProbe

    before = os.sched_getaffinity(0)
    with IdleProbe() as probe:
        assert os.sched_getaffinity(0) == {probe.cpu}  # its own work shows on one CPU only
    assert os.sched_getaffinity(0) == before
    assert probe.idle is not None and before <= set(probe.idle)
    assert all(0.0 <= v <= 1.0 for v in probe.idle.values())
    with pytest.raises(ValueError), IdleProbe() as failed:
        raise ValueError("a world that fails to build")  # the affinity still comes back; no idle shares
    assert os.sched_getaffinity(0) == before and failed.idle is None
    with IdleProbe(enabled=False) as off:
        assert os.sched_getaffinity(0) == before
    assert (off.cpu, off.idle) == (None, None)


def test_spin_policy_stops_polling_when_it_does_not_pay_and_resumes_when_it_does():
    from arena.controllers.host import SpinPolicy

    p = SpinPolicy()
    assert p.window() > 0  # a new channel polls first
    for _ in range(20):
        p.record(0.02)  # replies take 20 ms: the peer is waiting for a CPU, polling only burns one
    assert p.window() == 0.0
    for _ in range(40):
        p.record(30e-6)  # replies come within microseconds again (learned from sleeping waits)
    assert 0 < p.window() <= 3 * 30e-6 + SpinPolicy.MIN_S
    mixed = SpinPolicy()
    for k in range(200):  # half the replies come fast, half after 5 ms: the misses cost more
        mixed.record(20e-6 if k % 2 else 0.005)
    assert mixed.window() == 0.0
    assert SpinPolicy(enabled=False).window() == 0.0


def test_a_line_reader_whose_lines_come_late_sleeps_instead_of_polling():
    import threading
    import time

    from arena.controllers.host import LineReader, SpinPolicy

    r, w = os.pipe()
    reader = LineReader(r, spin=True)

    def write_late():
        for i in range(30):
            time.sleep(SpinPolicy.MAX_S * 4)  # every line arrives after any poll window
            os.write(w, b"%d\n" % i)
        os.close(w)

    t = threading.Thread(target=write_late)
    t.start()
    assert [reader.readline() for _ in range(30)] == [b"%d\n" % i for i in range(30)]
    t.join()
    os.close(r)
    assert reader.policy.waits >= 25 and reader.policy.spins <= 10  # it learned within a few lines
    assert reader.policy.window() == 0.0


FOLLOW_AND_TELL = """
    import os
    class Controller:
        def reset(self, seed, info):
            print("cpus", sorted(os.sched_getaffinity(0)))
        def act(self, obs):
            turn = 0.009 * (obs["S3/reflection"] - 50.0)
            return {"B": 0.38 - turn, "C": 0.38 + turn}
"""


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_a_controller_on_its_own_core_gives_the_same_run_as_one_sharing_the_arenas(tmp_path, monkeypatch):
    import arena.controllers.placement
    import arena.controllers.runner

    a = _agent(tmp_path, FOLLOW_AND_TELL)
    before = os.sched_getaffinity(0)
    arena_cpu = max(before)
    monkeypatch.setattr(arena.controllers.placement, "current_cpu", lambda: arena_cpu)  # where the arena "is"
    real_exit = arena.controllers.placement.IdleProbe.__exit__

    def idle_everywhere(self, *exc):  # as on an idle machine, where the other core is spare
        real_exit(self, *exc)
        self.idle, self.cpu = dict.fromkeys(before, 1.0), arena_cpu

    monkeypatch.setattr(arena.controllers.placement.IdleProbe, "__exit__", idle_everywhere)
    spread = run_episode("line-follow", "rover", a, seed=3)
    assert os.sched_getaffinity(0) == before  # the run gives back the CPUs it narrowed to
    shared = arena.controllers.runner.run_match("line-follow", [("rover", a)], seed=3, cpus="shared")[0]
    assert spread.status == shared.status == OK, (spread.reason, shared.reason)
    assert f"cpus [{min(before)}]" in spread.output  # a spare CPU of its own, not the arena's
    assert f"cpus [{arena_cpu}]" in shared.output  # the arena's CPU, as in a tournament
    assert spread.digest == shared.digest and spread.score == shared.score and spread.steps == shared.steps


def test_line_reader_polls_and_sleeps_across_split_lines():
    import threading
    import time

    from arena.controllers.host import LineReader, SpinPolicy

    for spin in (False, True):
        r, w = os.pipe()
        reader = LineReader(r, spin=spin)

        def write_slowly(w=w):
            os.write(w, b'{"a": 1}\n{"b"')
            time.sleep(SpinPolicy.MAX_S * 3)  # long enough that a spinning reader goes to sleep
            os.write(w, b': 2}\ntail')
            os.close(w)

        t = threading.Thread(target=write_slowly)
        t.start()
        assert reader.readline() == b'{"a": 1}\n'
        assert reader.readline() == b'{"b": 2}\n'
        assert reader.readline() == b"tail"
        assert reader.readline() == b""
        t.join()
        os.close(r)


def test_an_unknown_cpus_mode_is_named():
    from arena.controllers.runner import run_match

    with pytest.raises(ValueError, match="cpus must be 'auto' or 'shared'"):
        run_match("line-follow", [(None, "line_follower")], cpus="many")

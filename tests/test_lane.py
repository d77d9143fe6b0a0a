"""The shared-memory lane between the arena and a controller class (arena.controllers.lane): its
frames, its doorbell, what a hostile controller can do to it, and runs over it against runs over
the pipes."""

import os
import struct
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import arena.controllers.sandbox.channel as channel
from arena.controllers.host import SpinPolicy
from arena.controllers.lane import FLOOD, Lane
from arena.controllers.protocol import INVALID, OK, ObsPacker
from arena.controllers.runner import ControllerProcess, run_episode, run_match
from arena.controllers.sandbox import Limits
from arena.controllers.sandbox.shared import lane_supported, new_lane

needs_lane = pytest.mark.skipif(not lane_supported()[0], reason=f"no lane here: {lane_supported()[1]}")
LIMITS = Limits(init_s=10.0, step_s=0.5, bank_s=2.0)


@pytest.fixture
def pair():
    """(the arena's Lane, the controller's Lane) over one fresh page."""
    lane, fd = new_lane()
    peer = Lane(fd)  # the mapping keeps its own copy of the fd
    os.close(fd)
    yield lane, peer
    lane.close()
    peer.close()


@pytest.fixture
def pipe():
    r, w = os.pipe()
    os.set_blocking(r, False)
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


@needs_lane
def test_a_frame_is_seen_with_its_step_number(pair, pipe):
    lane, peer = pair
    fmt = struct.Struct("<3d")
    lane.put_floats(Lane.OBS_SEQ, Lane.OBS, fmt, (1.5, -2.0, 1e300), 1)
    assert peer.wait(Lane.OBS_SEQ, 1, Lane.CONTROLLER_WAITS, pipe[0], SpinPolicy(False), time.monotonic) is True
    kind, payload = peer.frame(Lane.OBS)
    assert kind == Lane.FLOATS and fmt.unpack(payload) == (1.5, -2.0, 1e300)
    peer.put(Lane.ACT_SEQ, Lane.ACT, Lane.JSON, b'{"B":0.5}', 1)
    assert lane.wait(Lane.ACT_SEQ, 1, Lane.ARENA_WAITS, pipe[0], SpinPolicy(True), time.monotonic) is True
    assert lane.frame(Lane.ACT) == (Lane.JSON, b'{"B":0.5}')
    # the next step's number is not there yet: the wait runs to its deadline
    assert lane.wait(Lane.ACT_SEQ, 2, Lane.ARENA_WAITS, pipe[0], SpinPolicy(True), time.monotonic,
                     time.monotonic() + 0.05) is None


@needs_lane
def test_a_frame_longer_than_its_half_of_the_page_is_refused(pair):
    lane, peer = pair
    peer.head.pack_into(peer.map, Lane.ACT, Lane.CAP + 1, Lane.JSON)
    with pytest.raises(ValueError, match="lane frame"):
        lane.frame(Lane.ACT)
    peer.head.pack_into(peer.map, Lane.ACT, 0xFFFFFFFF, Lane.JSON)
    with pytest.raises(ValueError, match="lane frame"):
        lane.frame(Lane.ACT)
    peer.head.pack_into(peer.map, Lane.ACT, Lane.CAP, Lane.JSON)  # the largest frame ends inside the page
    assert len(lane.frame(Lane.ACT)[1]) == Lane.CAP


@needs_lane
def test_a_sleeping_side_is_woken_by_the_doorbell_and_only_then_rung(pair, pipe, monkeypatch):
    monkeypatch.setattr(Lane, "GUARD_S", 60.0)  # no early re-check: only the doorbell can wake it
    lane, peer = pair
    r, w = pipe
    lane.ring(Lane.CONTROLLER_WAITS, w)  # the controller is awake: no byte
    with pytest.raises(BlockingIOError):
        os.read(r, 16)
    got = []
    waiter = threading.Thread(target=lambda: got.append(
        peer.wait(Lane.OBS_SEQ, 7, Lane.CONTROLLER_WAITS, r, SpinPolicy(False), time.monotonic, time.monotonic() + 30)))
    waiter.start()
    deadline = time.monotonic() + 30
    while not lane.word.unpack_from(lane.map, Lane.CONTROLLER_WAITS)[0]:  # it says it sleeps
        assert time.monotonic() < deadline, "the waiter never went to sleep"
        time.sleep(0.001)
    time.sleep(0.01)  # asleep in select()
    lane.put(Lane.OBS_SEQ, Lane.OBS, Lane.JSON, b"[]", 7)
    lane.ring(Lane.CONTROLLER_WAITS, w)
    waiter.join(30)
    assert got == [True]
    assert lane.word.unpack_from(lane.map, Lane.CONTROLLER_WAITS)[0] == 0  # awake again


@needs_lane
def test_a_wait_hands_back_what_else_comes_on_the_pipe(pair, pipe):
    lane, _ = pair
    r, w = pipe
    policy = SpinPolicy(False)
    os.write(w, b"\n\n\n")  # doorbells only: dropped, the wait goes on to its deadline
    assert lane.wait(Lane.ACT_SEQ, 1, Lane.ARENA_WAITS, r, policy, time.monotonic, time.monotonic() + 0.02) is None
    os.write(w, b'\n\n{"type": "error", "message": "boom"}\n')
    assert lane.wait(Lane.ACT_SEQ, 1, Lane.ARENA_WAITS, r, policy, time.monotonic) == \
        b'{"type": "error", "message": "boom"}\n'
    os.close(w)
    assert lane.wait(Lane.ACT_SEQ, 1, Lane.ARENA_WAITS, r, policy, time.monotonic) == b""  # end of input


@needs_lane
def test_the_page_cannot_be_shrunk_or_grown():
    # a controller that could shrink it would crash the arena (SIGBUS) at its next read
    lane, fd = new_lane()
    try:
        for size in (0, 100, Lane.SIZE * 2):
            with pytest.raises(PermissionError):
                os.ftruncate(fd, size)
        assert os.fstat(fd).st_size == Lane.SIZE
    finally:
        os.close(fd)
        lane.close()


def test_lane_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("ARENA_LANE", "0")
    assert lane_supported() == (False, "ARENA_LANE=0")


def test_the_observation_packer_keeps_to_the_first_observations_shape():
    first = {"a": 1.0, "rgb": [1.0, 2.0, 3.0], "b": -0.5, "xy": [4.0, 5.0]}
    p = ObsPacker(["a", "rgb", "b", "xy"], first)
    assert p.shape == [0, 3, 0, 2] and p.fmt.size == 7 * 8
    assert list(p.pack(first)) == [1.0, 1.0, 2.0, 3.0, -0.5, 4.0, 5.0]
    for bad in ({"a": 1}, {"a": True}, {"a": np.float64(1.0)}, {"rgb": [1.0, 2.0]}, {"rgb": [1, 2.0, 3.0]},
                {"rgb": (1.0, 2.0, 3.0)}, {"xy": None}):
        assert p.pack({**first, **bad}) is None, bad  # as its JSON act line instead: exact types
    one = ObsPacker(["a"], {"a": 2.0})
    assert one.shape == [0] and list(one.pack({"a": 3.0})) == [3.0]


ECHO = """
class Controller:
    def act(self, obs):
        if "pad" in obs and obs["pad"] > 0:
            return {"pad": "x" * int(obs["pad"])}
        return {"obs": obs, "types": {k: type(v).__name__ for k, v in obs.items()}}
"""


@needs_lane
def test_an_observation_reaches_the_controller_with_the_same_values_and_types_either_way(tmp_path):
    agent = tmp_path / "echo.py"
    agent.write_text(ECHO)
    keys = ["a", "rgb", "pad", "xy"]
    ctl = ControllerProcess(agent, LIMITS, spin=True)  # the lane is for a controller on a core of its own
    try:
        ctl.start("X", ["B", "C"])
        ctl.reset(0, {}, keys, {"a": 0.25, "rgb": [1.0, 2.0, 3.0], "pad": 0.0, "xy": [0.5, 0.25]})
        assert ctl.packer is not None and ctl.sandbox.lane is not None
        for raw in ({"a": 0.1 + 0.2, "rgb": [1e-300, -0.0, 7.5], "pad": 0.0, "xy": [9.0, -1.0]},  # FLOATS
                    {"a": 3, "rgb": [1.0, 2.0, 3.0], "pad": 0.0, "xy": [9.0, -1.0]},  # an int: its JSON act line
                    {"a": 0.5, "rgb": [1.0, 2.0], "pad": 0.0, "xy": [9.0, -1.0]}):  # another length: JSON too
            ctl.send_obs(0, raw, None)
            reply = ctl.recv_action()
            assert reply["obs"] == raw
            assert reply["types"] == {k: type(v).__name__ for k, v in raw.items()}
        ctl.send_obs(10, {"a": 0.5, "rgb": [1.0, 2.0, 3.0], "pad": float(2 * Lane.CAP), "xy": [0.0, 0.0]}, None)
        assert ctl.recv_action() == {"pad": "x" * (2 * Lane.CAP)}  # too big for a frame: over the pipe
    finally:
        ctl.close()


@pytest.fixture(scope="module")
def short_world(tmp_path_factory, root):
    """line-follow, 3 s."""
    d = tmp_path_factory.mktemp("short")
    text = (root / "worlds" / "line-follow.toml").read_text().replace("time_limit = 180.0", "time_limit = 3.0")
    (d / "short.toml").write_text(text)
    return d / "short.toml"


@pytest.fixture
def own_core(monkeypatch):
    """Placement as on an idle machine: the controller gets the other core, both sides may poll."""
    import arena.controllers.placement as placement

    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        pytest.skip("needs two CPUs")
    real_exit = placement.IdleProbe.__exit__

    def idle_everywhere(self, *exc):
        real_exit(self, *exc)
        self.idle = dict.fromkeys(cpus, 1.0)

    monkeypatch.setattr(placement.IdleProbe, "__exit__", idle_everywhere)


@pytest.fixture
def counted(monkeypatch):
    """Counts of the steps that went over the lane and of the lines written to a pipe."""
    used = {"frames": 0, "lines": 0}
    recv_frame, send_line = channel.Sandbox.recv_frame, channel.Sandbox.send_line

    def counting_recv_frame(self):
        used["frames"] += 1
        return recv_frame(self)

    def counting_send_line(self, data):
        used["lines"] += 1
        return send_line(self, data)

    monkeypatch.setattr(channel.Sandbox, "recv_frame", counting_recv_frame)
    monkeypatch.setattr(channel.Sandbox, "send_line", counting_send_line)
    return used


@needs_lane
def test_a_run_over_the_lane_is_the_run_over_the_pipes(short_world, root, monkeypatch, own_core, counted):
    agent = root / "agents" / "line_follower"
    lane = run_episode(short_world, "rover", agent, seed=2)
    assert counted == {"frames": lane.steps, "lines": 2}  # init and reset on the pipe, every step on the lane
    counted.update(frames=0, lines=0)
    shared = run_match(short_world, [("rover", agent)], seed=2, cpus="shared")[0]  # one CPU: the pipes
    assert counted == {"frames": 0, "lines": shared.steps + 2}
    monkeypatch.setenv("ARENA_LANE", "0")
    counted.update(frames=0, lines=0)
    piped = run_episode(short_world, "rover", agent, seed=2)
    assert counted == {"frames": 0, "lines": piped.steps + 2}
    assert lane.status == shared.status == piped.status == OK
    assert lane.steps == 300 and lane.digest == shared.digest == piped.digest
    assert lane.score == shared.score == piped.score


SLOW = """
import time

class Controller:
    def act(self, obs):
        time.sleep(0.003)  # longer than any poll window: the arena stops polling and sleeps
        turn = 0.009 * (obs["S3/reflection"] - 50.0)
        return {"B": 0.38 - turn, "C": 0.38 + turn}
"""


@needs_lane
def test_two_sides_that_sleep_on_the_lane_wake_each_other_with_the_doorbell(tmp_path, short_world, monkeypatch,
                                                                            own_core, counted):
    import arena.controllers.runner as runner
    from arena.match import Match

    class SlowArena(Match):  # longer than any poll window too: the controller sleeps between steps
        def step(self, commands):
            time.sleep(0.003)
            return Match.step(self, commands)

    rung = {"asleep": 0}
    ring = Lane.ring

    def counting_ring(self, waits_off, fd):
        rung["asleep"] += self.word.unpack_from(self.map, waits_off)[0]
        return ring(self, waits_off, fd)

    monkeypatch.setattr(runner, "Match", SlowArena)
    monkeypatch.setattr(Lane, "ring", counting_ring)
    agent = tmp_path / "slow.py"
    agent.write_text(SLOW)
    slept = run_episode(short_world, "rover", agent, seed=4, limits=LIMITS)
    assert counted["frames"] == slept.steps == 300
    assert rung["asleep"] > 250  # the controller slept through nearly every step's wait, and woke
    monkeypatch.setenv("ARENA_LANE", "0")
    piped = run_episode(short_world, "rover", agent, seed=4, limits=LIMITS)
    assert slept.status == piped.status == OK, (slept.reason, piped.reason)
    assert slept.digest == piped.digest and slept.score == piped.score


TAMPER = """
import mmap, os, struct, sys

class Controller:
    def act(self, obs):
        for fd in range(3, 64):
            try:
                name = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if "kit-arena-lane" not in name:
                continue
            try:
                os.ftruncate(fd, 0)
            except OSError as e:
                print("truncate refused:", type(e).__name__, file=sys.stderr, flush=True)
            m = mmap.mmap(fd, 65536)
            step = struct.unpack_from("<I", m, 0)[0]
            act = 256 + (65536 - 256) // 2
            struct.pack_into("<II", m, act, MODE, 2)
            m[act + 8: act + 12] = b"\\xff{[}"
            struct.pack_into("<I", m, 64, step)  # publish the forged reply, then hang on to the step
            import time
            time.sleep(5)
        return {}
"""


@needs_lane
@pytest.mark.parametrize("length, words", [(10 ** 9, "lane frame of 1000000000 bytes"), (4, "not valid JSON")])
def test_a_controller_that_forges_frames_or_resizes_the_page_is_invalid_and_the_arena_carries_on(
        tmp_path, short_world, length, words, own_core):
    agent = tmp_path / "tamper.py"
    agent.write_text(TAMPER.replace("MODE", str(length)))
    r = run_episode(short_world, "rover", agent, seed=0, limits=LIMITS)
    assert r.status == INVALID and words in r.reason, r.reason
    assert r.steps == 0  # its first reply was forged: a solo run ends there
    assert "truncate refused: PermissionError" in r.output  # the seals hold
    assert textwrap.dedent(r.reason) == r.reason



@needs_lane
def test_a_doorbell_to_a_pipe_nobody_reads_any_more_is_dropped(pair):
    lane, _ = pair
    r, w = os.pipe()
    os.set_blocking(w, False)
    lane.word.pack_into(lane.map, Lane.CONTROLLER_WAITS, 1)  # the peer said it sleeps, then its end closed
    os.close(r)
    try:
        lane.ring(Lane.CONTROLLER_WAITS, w)  # EPIPE: its death shows on the other pipe, where the arena waits next
        r2, w2 = os.pipe()
        os.set_blocking(w2, False)
        while True:  # and a full pipe: the peer has bytes to wake it already
            try:
                os.write(w2, b"x" * 65536)
            except BlockingIOError:
                break
        lane.ring(Lane.CONTROLLER_WAITS, w2)
        os.close(r2)
        os.close(w2)
    finally:
        os.close(w)


@needs_lane
def test_a_pipe_flooded_with_doorbells_ends_the_wait(pair, pipe):
    lane, _ = pair
    r, w = pipe
    os.write(w, b"\n" * 65536)
    assert lane.wait(Lane.ACT_SEQ, 1, Lane.ARENA_WAITS, r, SpinPolicy(False), time.monotonic,
                     time.monotonic() + 30) == FLOOD
    os.write(w, b"\n" * (Lane.MAX_DOORBELLS // 2))  # a few stale doorbells are an honest peer's
    assert lane.wait(Lane.ACT_SEQ, 1, Lane.ARENA_WAITS, r, SpinPolicy(False), time.monotonic,
                     time.monotonic() + 0.02) is None


FLOODER = """
import fcntl, os, stat, time

class Controller:
    def act(self, obs):
        pipes = [fd for fd in range(3, 64) if self._writable_pipe(fd)]
        end = time.monotonic() + 20
        while time.monotonic() < end:  # never answers: keeps the arena's pipe full of blank lines
            for fd in pipes:
                try:
                    os.write(fd, b"\\n" * 4096)
                except OSError:
                    pass
        return {}

    def _writable_pipe(self, fd):
        try:
            return stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY
        except OSError:
            return False
"""


@needs_lane
def test_a_controller_that_floods_its_pipe_is_invalid_not_a_hang(tmp_path, short_world, own_core):
    agent = tmp_path / "flood.py"
    agent.write_text(FLOODER)
    r = run_episode(short_world, "rover", agent, seed=0, limits=LIMITS)
    assert r.status == INVALID and "blank lines" in r.reason, r.reason  # before its 2.5 s of time ran out


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@needs_lane
def test_a_sandbox_never_started_holds_no_page(tmp_path):
    import gc

    gc.collect()
    before = _open_fds()
    for _ in range(3):
        sb = channel.Sandbox([sys.executable, "-I", "-c", "pass"], lane=True, spin=True)
        assert sb.lane is None and sb.lane_fd is None
    del sb
    gc.collect()
    assert _open_fds() == before


@needs_lane
def test_a_failure_after_the_sandboxes_started_still_stops_them(short_world, root, monkeypatch, own_core):
    import arena.controllers.runner as runner
    from arena.match import Match

    started = []
    launch = ControllerProcess.launch

    def recording_launch(self):
        launch(self)
        started.append(self.sandbox._proc.pid)

    class BrokenReset(Match):
        def reset(self, seed_seq):
            raise RuntimeError("the world would not reset")

    monkeypatch.setattr(ControllerProcess, "launch", recording_launch)
    monkeypatch.setattr(runner, "Match", BrokenReset)
    before = _open_fds()
    with pytest.raises(RuntimeError, match="would not reset"):
        run_episode(short_world, "rover", root / "agents" / "line_follower", seed=0)
    assert len(started) == 1
    assert not os.path.exists(f"/proc/{started[0]}")  # killed and reaped
    assert _open_fds() == before  # its pipes and page closed


def test_the_interleaved_sandboxed_benchmark_runs(root):
    """benchmarks/sandboxed_run.py swaps the runner's Match and Sandbox.close for its own: it must keep working."""
    import subprocess

    script = root / "benchmarks" / "sandboxed_run.py"
    out = subprocess.run([sys.executable, str(script), "--runs", "1"], capture_output=True, text=True, timeout=600,
                         cwd=root)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ratio" in out.stdout and "the physics step" in out.stdout, out.stdout
    bad = subprocess.run([sys.executable, str(script), "--runs", "0"], capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "not a whole number of at least 1" in bad.stderr


def test_a_child_that_cannot_map_the_page_answers_without_it():
    from arena.controllers.host import _open_lane

    r, w = os.pipe()
    try:
        for offered in (None, "3", 3.0, True, 10 ** 6, r):  # none, not a number, no such fd, not a memfd
            assert _open_lane(offered) is None, offered
    finally:
        os.close(r)
        os.close(w)


@needs_lane
def test_no_memfd_to_spare_keeps_the_steps_on_the_pipes(tmp_path, monkeypatch):
    def no_memfd():
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(channel, "new_lane", no_memfd)
    agent = tmp_path / "echo.py"
    agent.write_text(ECHO)
    ctl = ControllerProcess(agent, LIMITS, spin=True)
    try:
        ctl.start("X", ["B", "C"])
        ctl.reset(0, {}, ["a"], {"a": 0.5})
        assert ctl.sandbox.lane is None and ctl.packer is None and "lane" not in ctl.sandbox.features
        ctl.send_obs(0, {"a": 0.5}, None)
        assert ctl.recv_action()["obs"] == {"a": 0.5}  # the JSON line, as before the lane
    finally:
        ctl.close()


@needs_lane
def test_an_observation_too_big_for_the_page_is_named(tmp_path):
    agent = tmp_path / "echo.py"
    agent.write_text(ECHO)
    ctl = ControllerProcess(agent, LIMITS, spin=True)
    try:
        ctl.start("X", ["B", "C"])
        ctl.reset(0, {}, ["a"], {"a": 0.5})
        with pytest.raises(ValueError, match=r"an observation of \d+ bytes does not fit the lane"):
            ctl.send_obs(0, {"a": [0.5] * 10000}, None)  # another shape: its JSON line, 50 kB
    finally:
        ctl.close()

"""Hostile controllers in a two-player match (../shared/specs/sandbox.md, "what the arena must
survive"). Each case asserts the offender's status and reason, that the opponent in the same
match is unaffected (same score as beside a harmless idle controller), that the arena process
carries on, and that nothing outside the sandbox changed."""

import os
import socket
import textwrap
import threading

import pytest

from arena.controllers.protocol import ERROR, INVALID, OK, TIMEOUT
from arena.controllers.runner import run_match
from arena.controllers.sandbox import Limits, bwrap_usable

LIMITS = Limits(init_s=5.0, step_s=0.05, bank_s=0.5)
BWRAP = bwrap_usable()[0]
needs_bwrap = pytest.mark.skipif(not BWRAP, reason="bubblewrap is not usable here: the rlimit mode does not hide files "
                                                   "or the network (docs/sandbox.md)")


@pytest.fixture(scope="module")
def duel(tmp_path_factory, root):
    """line-follow with a second robot 1.5 m further along the track, 6 s."""
    d = tmp_path_factory.mktemp("duel")
    text = (root / "worlds" / "line-follow.toml").read_text()
    text = text.replace('id = "LineFollow-v0"', 'id = "LineDuel-v0"\nplayers = 2').replace(
        "time_limit = 180.0", "time_limit = 6.0")
    (d / "duel.toml").write_text(text + '\n[[start]]\npath = "track"\nat = 1500.0\n')
    (d / "idle.py").write_text("class Controller:\n    def act(self, obs):\n        return {}\n")
    return d


@pytest.fixture(scope="module")
def reference(duel, root):
    """The opponent's result beside a harmless controller."""
    res = run_match(duel / "duel.toml", [(None, duel / "idle.py"), (None, root / "agents" / "line_follower")],
                    seed=0, limits=LIMITS)
    assert res[1].status == OK
    return res[1].score


@pytest.fixture()
def outside(tmp_path):
    """A file outside every sandbox that must not change, and a 'results store' to protect."""
    f = tmp_path / "secret.txt"
    f.write_text("arena secret")
    return f


def play(duel, root, tmp_path, code: str, limits=LIMITS):
    agent = tmp_path / "hostile.py"
    agent.write_text(textwrap.dedent(code))
    fds = len(os.listdir("/proc/self/fd"))
    res = run_match(duel / "duel.toml", [(None, agent), (None, root / "agents" / "line_follower")], seed=0,
                    limits=limits)
    assert len(os.listdir("/proc/self/fd")) <= fds + 2  # no leaked pipes
    return res


def check(res, reference, outside, status, *words):
    me, opponent = res
    assert me.status == status, (me.status, me.reason)
    for w in words:
        assert w in me.reason, me.reason
    assert opponent.status == OK, opponent.reason
    assert opponent.score == reference  # the opponent played exactly as beside an idle controller
    assert outside.read_text() == "arena secret"


CASES = {
    "python infinite loop": ("class Controller:\n    def act(self, obs):\n        while True: pass\n", TIMEOUT, "time bank"),
    "loop inside a C call": ("class Controller:\n    def act(self, obs):\n        return sum(range(10**13))\n", TIMEOUT, ""),
    "long sleep": ("import time\nclass Controller:\n    def act(self, obs):\n        time.sleep(1000)\n", TIMEOUT, ""),
    "slowly draining the bank": ("import time\nclass Controller:\n    def act(self, obs):\n        time.sleep(0.07)\n"
                                 "        return {}\n", TIMEOUT, "time bank"),
    "memory hog": ("class Controller:\n    def act(self, obs):\n        x = bytearray(4 * 2**30)\n", ERROR, "MemoryError"),
    "raise at import": ("raise RuntimeError('boom at import')\n", ERROR, "while loading"),
    "raise at reset": ("class Controller:\n    def reset(self, seed, info):\n        1/0\n", ERROR, "in reset()"),
    "raise mid-episode": ("class Controller:\n    n = 0\n    def act(self, obs):\n        self.n += 1\n"
                          "        if self.n > 100: raise KeyError('late')\n        return {}\n", ERROR, "in act()"),
    "exit at once": ("import os\nos._exit(3)\n", ERROR, "code 3"),
    "NaN action": ("class Controller:\n    def act(self, obs):\n        return {'B': float('nan')}\n", INVALID, "NaN"),
    "infinite action": ("class Controller:\n    def act(self, obs):\n        return {'B': float('inf')}\n", INVALID, ""),
    "int subclass": ("class Sneaky(int):\n    pass\nclass Controller:\n    def act(self, obs):\n"
                     "        return {'B': True}\n", INVALID, "number"),
    "string action": ("class Controller:\n    def act(self, obs):\n        return {'B': 'full speed'}\n", INVALID, "number"),
    "nested lists": ("class Controller:\n    def act(self, obs):\n        return {'B': [[1.0]]}\n", INVALID, "number"),
    # too big to build in time (TIMEOUT) or to send (INVALID, line too long): either way out
    "a million elements": ("class Controller:\n    def act(self, obs):\n        return {str(i): 0.0 for i in range(10**6)}\n",
                           None, ""),
    "unknown port": ("class Controller:\n    def act(self, obs):\n        return {'A': 1.0}\n", INVALID, "unknown motor port"),
    "closing the protocol": ("import os\nclass Controller:\n    def act(self, obs):\n"
                             "        for fd in range(0, 64):\n            try: os.close(fd)\n            except OSError: pass\n"
                             "        import time; time.sleep(5)\n", None, ""),
    "one enormous line": ("import os\nclass Controller:\n    def act(self, obs):\n"
                          "        for fd in range(3, 64):\n            try: os.write(fd, b'{\"type\": \"action\", \"action\": {\"B\": ' + b'1' * 3_000_000)\n"
                          "            except OSError: pass\n        import time; time.sleep(5)\n", None, ""),
    "killing its parent": ("import os, signal\nclass Controller:\n    def act(self, obs):\n"
                           "        os.kill(os.getppid(), signal.SIGKILL)\n        os.kill(-1, signal.SIGKILL)\n", ERROR, ""),
    "connecting to the physics server": ("class Controller:\n    def act(self, obs):\n        import pybullet as p\n"
                                         "        c = p.connect(p.SHARED_MEMORY)\n"
                                         "        if c < 0: raise ConnectionError('no physics server to reach')\n"
                                         "        p.resetBasePositionAndOrientation(1, [9, 9, 9], [0, 0, 0, 1], physicsClientId=c)\n",
                                         ERROR, "no physics server"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile(name, duel, root, tmp_path, reference, outside):
    code, status, words = CASES[name]
    res = play(duel, root, tmp_path, code)
    if status is None:  # reported as whichever comes first of the protocol errors
        assert res[0].status in (ERROR, TIMEOUT, INVALID)
        status = res[0].status
    check(res, reference, outside, status, *([words] if words else []))


def test_gigabytes_of_output_are_capped(duel, root, tmp_path, reference, outside):
    res = play(duel, root, tmp_path, """
        import sys
        class Controller:
            def reset(self, seed, info):
                chunk = "x" * 1_000_000
                for _ in range(300):
                    sys.stderr.write(chunk)
                print("y" * 5_000_000)
            def act(self, obs):
                return {}
    """, limits=Limits(init_s=10.0, step_s=0.05, bank_s=10.0))
    me, opp = res
    assert me.status == OK
    assert len(me.output) < 70_000 and "dropped" in me.output
    assert opp.status == OK and opp.score == reference


def test_fork_bomb_is_contained(duel, root, tmp_path, reference, outside):
    res = play(duel, root, tmp_path, """
        import os
        class Controller:
            def act(self, obs):
                while True:
                    try:
                        os.fork()
                    except OSError:
                        pass
    """)
    assert res[0].status in (TIMEOUT, ERROR)
    check(res, reference, outside, res[0].status)


def test_grandchild_does_not_outlive_the_match(duel, root, tmp_path, reference, outside):
    marker = "arena-hostile-sleeper-31337"
    res = play(duel, root, tmp_path, f"""
        import subprocess
        class Controller:
            def reset(self, seed, info):
                subprocess.Popen(["/bin/sh", "-c", "exec -a {marker} sleep 600"], start_new_session=True)
            def act(self, obs):
                raise RuntimeError("leaving a sleeper behind")
    """)
    check(res, reference, outside, ERROR, "leaving a sleeper")
    alive = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        alive.append(pid)
            except OSError:
                pass
    assert not alive


def test_disk_filling_is_stopped(duel, root, tmp_path, reference, outside):
    res = play(duel, root, tmp_path, """
        class Controller:
            def act(self, obs):
                with open("big.bin", "wb") as f:
                    for _ in range(4096):
                        f.write(b"x" * 2**20)
    """)
    assert res[0].status == ERROR and ("File too large" in res[0].reason or "No space" in res[0].reason
                                       or "SIGXFSZ" in res[0].reason), res[0].reason
    check(res, reference, outside, ERROR)


@needs_bwrap
def test_no_network_not_even_loopback(duel, root, tmp_path, reference, outside):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.settimeout(5)
    got = []
    t = threading.Thread(target=lambda: got.append(_accept(server)), daemon=True)
    t.start()
    res = play(duel, root, tmp_path, f"""
        import socket
        class Controller:
            def act(self, obs):
                socket.create_connection(("127.0.0.1", {port}), timeout=1)
    """)
    check(res, reference, outside, ERROR, "in act()")
    t.join(6)
    server.close()
    assert got == [None]


def _accept(server):
    try:
        server.accept()
        return "connected"
    except OSError:
        return None


@needs_bwrap
def test_cannot_read_the_store_the_project_or_the_opponent(duel, root, tmp_path, reference, outside):
    store = tmp_path / "results.sqlite"
    store.write_bytes(b"SQLite format 3\x00")
    res = play(duel, root, tmp_path, f"""
        import os
        class Controller:
            def act(self, obs):
                seen = [p for p in ({str(store)!r}, {str(outside)!r}, {str(root / "agents" / "line_follower" / "controller.py")!r},
                                    {str(root / "pyproject.toml")!r}) if os.path.exists(p)]
                raise RuntimeError("seen=" + repr(seen))
    """)
    check(res, reference, outside, ERROR, "seen=[]")


def test_files_left_behind_are_gone_next_match(duel, root, tmp_path, reference, outside):
    code = """
        import os
        class Controller:
            def act(self, obs):
                found = [p for p in ("/tmp/memo.txt", "memo.txt") if os.path.exists(p)]
                for p in ("/tmp/memo.txt", "memo.txt"):
                    try:
                        open(p, "w").write("opponent plays left")
                    except OSError:
                        pass
                raise RuntimeError("found=" + repr(found))
    """
    first = play(duel, root, tmp_path, code)
    second = play(duel, root, tmp_path, code)
    check(first, reference, outside, ERROR, "found=[]")
    check(second, reference, outside, ERROR, "found=[]")


def test_cpu_hog_does_not_starve_the_opponent(duel, root, tmp_path, reference, outside):
    res = play(duel, root, tmp_path, """
        import threading
        def spin():
            while True:
                pass
        class Controller:
            def reset(self, seed, info):
                for _ in range(8):
                    threading.Thread(target=spin, daemon=True).start()
            def act(self, obs):
                return {"B": 0.2, "C": 0.2}
    """, limits=Limits(init_s=5.0, step_s=0.05, bank_s=10.0))
    me, opp = res
    assert opp.status == OK and opp.score == reference
    assert me.status in (OK, TIMEOUT)

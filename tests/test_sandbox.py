"""Hostile controllers against arena.controllers.sandbox, in every isolation mode this machine offers.

Every test checks the status and reason, and (in the ``box`` fixture) that afterwards no process of
the sandbox is left, no file descriptor or thread of the arena leaked, and nothing was left in /tmp
or in the test directory. Tests that could hurt the machine (fork bomb, kill(-1)) run only where
the sandbox reports it can contain them.
"""

from __future__ import annotations

import errno
import os
import resource
import socket
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from arena.controllers.sandbox import (
    WORLD_WRITABLE,
    Limits,
    Sandbox,
    SandboxError,
    _world_executable,
    bwrap_usable,
)

BWRAP_OK, BWRAP_WHY = bwrap_usable()
FAST = Limits(init_s=10.0, step_s=0.05, bank_s=0.3, memory_mb=256, disk_mb=16, procs=32)

PRELUDE = """\
import json, os, sys, time
def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\\n")
    sys.stdout.flush()
def wait():
    return json.loads(sys.stdin.readline())
"""


def _rlimit_python() -> str | None:
    # as root the rlimit child runs under an unprivileged uid: it needs a world-readable Python
    if os.geteuid() != 0 or _world_executable(sys.executable):
        return sys.executable
    return "/usr/bin/python3" if _world_executable("/usr/bin/python3") else None


MODES = [
    pytest.param("bwrap", marks=pytest.mark.skipif(not BWRAP_OK, reason=f"bwrap unusable: {BWRAP_WHY}")),
    pytest.param("rlimit", marks=pytest.mark.skipif(_rlimit_python() is None,
                                                    reason="no Python an unprivileged uid can run")),
]  # fmt: skip


def _marked(token: str) -> list[int]:
    """Pids of live processes whose environment carries the test's token (daemons keep it)."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/environ", "rb") as f:
                    if token.encode() in f.read():
                        with open(f"/proc/{name}/stat", "rb") as s:
                            if s.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                                out.append(int(name))
            except OSError:
                pass
    return out


def _arena_state() -> tuple[int, int, set[str]]:
    cgroups = {p.name for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup/pids", "/sys/fs/cgroup")
               if os.path.isdir(root) for p in Path(root).glob(f"kit-arena-{os.getpid()}-*")}  # fmt: skip
    return len(os.listdir("/proc/self/fd")), threading.active_count(), cgroups


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


@pytest.fixture
def box(mode, tmp_path):
    """box(*code, limits=...) -> a started Sandbox running PRELUDE + the code pieces (each dedented)."""
    token = uuid.uuid4().hex
    made: list[Sandbox] = []
    before = _arena_state()

    def make(*parts: str, limits: Limits = FAST, **kw) -> Sandbox:
        script = tmp_path / f"child{len(made)}.py"
        script.write_text(PRELUDE + "".join(textwrap.dedent(p) for p in parts))
        py = sys.executable if mode == "bwrap" else _rlimit_python()
        sb = Sandbox([py, "-I", script.name], workdir_files={script.name: script}, limits=limits,
                     isolation=mode, env={"KIT_TEST_MARK": token}, **kw)  # fmt: skip
        made.append(sb)
        sb.start()
        assert sb.isolation == mode
        return sb

    make.token = token
    make.tmp_path = tmp_path
    yield make
    for sb in made:
        sb.close()
        sb.close()  # idempotent
    assert _marked(token) == [], "sandbox processes survived close()"
    uids = {sb._uid for sb in made} - {None}
    stray = [e.path for d in WORLD_WRITABLE if os.path.isdir(d) for e in os.scandir(d)
             if token in e.name or _owner(e) in uids]  # fmt: skip
    stray += [sb._tmp for sb in made if sb._tmp and os.path.exists(sb._tmp)]
    assert stray == [], "files were left outside the sandbox"
    assert _arena_state() == before, "the arena leaked fds or threads, or cgroups were left"
    leftovers = {p.name for p in tmp_path.iterdir()} - {f"child{i}.py" for i in range(len(made))}
    assert leftovers <= {"secret.txt", "policy"}, f"something was written outside the sandbox: {leftovers}"


def _owner(entry: os.DirEntry) -> int | None:
    """The uid owning a directory entry, or None if it is already gone: other tests (and other
    xdist workers) create and remove their own files in /tmp while this one looks."""
    try:
        return entry.stat(follow_symlinks=False).st_uid
    except FileNotFoundError:
        return None


def _fails(
    sb: Sandbox, msg: dict | None = None, first: bool = False, deadline: float | None = None
) -> SandboxError:
    t = time.monotonic()
    with pytest.raises(SandboxError) as info:
        if msg is None:
            sb.recv(deadline)
        else:
            sb.request(msg, first=first)
    assert time.monotonic() - t < 5, "the arena waited far longer than the deadline"
    with pytest.raises(SandboxError):  # the failure sticks
        sb.request({"t": "again"})
    return info.value


READY = """\
wait(); reply({"ready": True})
wait()
"""


# ----------------------------------------------------------------------------- happy path


def test_echo_round_trip(box):
    sb = box("""\
        for line in sys.stdin:
            reply({"echo": json.loads(line), "cwd": os.getcwd(), "uid": os.getuid()})
        """)
    assert sb.request({"t": "init"}, first=True)["echo"] == {"t": "init"}
    for i in range(50):
        assert sb.request({"i": i, "x": [1.5, "é"]})["echo"] == {"i": i, "x": [1.5, "é"]}
    assert sb.bank_left > 0.2
    assert sb.output() == ""
    assert sb.features["isolation"] == sb.isolation


def test_the_arena_stops_polling_for_a_controller_that_replies_late(box):
    sb = box("""\
        for line in sys.stdin:
            time.sleep(0.008)  # longer than any poll window: every reply needs a kernel wait
            reply({"echo": json.loads(line)})
        """, spin=True)
    sb.request({"t": "init"}, first=True)
    for i in range(30):
        assert sb.request({"i": i})["echo"] == {"i": i}
    assert sb.policy.waits >= 30 and sb.policy.spins <= 10  # it learned within a few replies
    assert sb.policy.window() == 0.0


def test_cpu_seconds_counts_the_controllers_work(box):
    sb = box("""\
        wait()
        end = time.process_time() + 0.3
        while time.process_time() < end:
            pass
        reply({"done": True})
        wait()
        """)
    assert sb.cpu_seconds() < 0.3
    assert sb.request({"t": "burn"}, first=True) == {"done": True}
    assert sb.cpu_seconds() >= 0.25  # CPU time (in 10 ms ticks), not wall time: load cannot shrink it
    sb.close()
    assert sb.cpu_seconds() == 0.0


def test_isolation_auto_prefers_bwrap():
    assert Sandbox(["true"]).isolation == ("bwrap" if BWRAP_OK else "rlimit")


# ----------------------------------------------------------------------------- time


@pytest.mark.parametrize("hang", [
    "while True: pass",
    "sum(range(10**13))",  # one long C call: signals and the GIL do not help, only the arena's deadline
    "time.sleep(3600)",
])  # fmt: skip
def test_hang_is_a_timeout(box, hang):
    sb = box(READY + hang + "\n")
    assert sb.request({"t": "init"}, first=True) == {"ready": True}
    err = _fails(sb, {"t": "step"})
    assert err.status == "TIMEOUT"
    assert "used up its 0.3 s time bank" in err.reason
    assert sb.bank_left == 0


def test_hang_at_init_uses_init_limit(box):
    sb = box("time.sleep(3600)\n", limits=Limits(init_s=0.5))
    err = _fails(sb, {"t": "init"}, first=True)
    assert (err.status, err.reason) == ("TIMEOUT", "no reply within 0.5 s")


def test_slow_replies_drain_the_bank(box):
    sb = box("""\
        for line in sys.stdin:
            time.sleep(0.12)
            reply({})
        """)
    sb.request({"t": "init"}, first=True)
    sb.request({})
    assert 0.15 < sb.bank_left < 0.26  # one overrun of about 0.07 s
    with pytest.raises(SandboxError) as info:
        for _ in range(10):
            sb.request({})
    assert info.value.status == "TIMEOUT" and "time bank" in info.value.reason


def test_not_reading_input_is_a_timeout(box):
    sb = box("time.sleep(3600)\n")
    err = _fails(sb, {"blob": "x" * 300_000})  # more than a pipe buffer
    assert (err.status, err.reason) == ("TIMEOUT", "stopped reading its input")


# ----------------------------------------------------------------------------- exits and bad output


def test_raise_at_start(box):
    sb = box("raise RuntimeError('boom at import')\n")
    err = _fails(sb, {"t": "init"}, first=True)
    assert err.status == "ERROR"
    assert err.reason.startswith("controller exited with code 1")
    assert "RuntimeError: boom at import" in err.reason


def test_exit_at_once(box):
    sb = box("sys.exit(3)\n")
    err = _fails(sb, {"t": "init"}, first=True)
    assert (err.status, err.reason) == ("ERROR", "controller exited with code 3")


def test_killed_by_signal_is_named(box):
    sb = box("os.kill(os.getpid(), 9)\n")
    err = _fails(sb, None, deadline=5)
    assert (err.status, err.reason) == ("ERROR", "killed by SIGKILL (memory or CPU limit?)")


def test_closing_stdout(box, mode):
    sb = box("os.close(1)\ntime.sleep(3600)\n", limits=Limits(init_s=1.5))
    err = _fails(sb, {"t": "init"}, first=True)
    if mode == "bwrap":  # bwrap's own processes keep the pipe open: no EOF, only silence
        assert (err.status, err.reason) == ("TIMEOUT", "no reply within 1.5 s")
    else:
        assert (err.status, err.reason) == ("ERROR", "controller closed its stdout")


@pytest.mark.parametrize("line, why", [
    ("hello", "reply is not valid JSON"),
    ('{"a": NaN}', "non-standard JSON constant NaN"),
    ("[1, 2]", "reply is a JSON list, not an object"),
    ("[" * 100_000 + "]" * 100_000, "reply is not valid JSON"),
])  # fmt: skip
def test_bad_reply_is_invalid(box, line, why):
    sb = box(f"wait()\nsys.stdout.write({line!r} + '\\n'); sys.stdout.flush()\ntime.sleep(3600)\n")
    err = _fails(sb, {"t": "init"}, first=True)
    assert err.status == "INVALID" and why in err.reason


def test_enormous_line_without_newline(box):
    sb = box(
        READY,
        """\
        chunk = "x" * 65536
        while True:
            sys.stdout.write(chunk)
        """,
    )
    sb.request({"t": "init"}, first=True)
    err = _fails(sb, {"t": "step"})
    assert (err.status, err.reason) == ("INVALID", "sent a line longer than 1000000 bytes")


def test_gigabytes_on_stderr(box):
    sb = box(
        READY,
        """\
        block = b"y" * (1 << 20)
        for _ in range(2048):  # 2 GiB
            sys.stderr.buffer.write(block)
        sys.stderr.flush()
        reply({"done": True})
        """,
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sb.request({"t": "init"}, first=True)
    sb.send({"t": "go"})
    assert sb.recv(deadline_s=40) == {"done": True}
    sb.close()  # the drain thread may still be behind the reply; close() waits for it
    out = sb.output()
    assert out.startswith("y" * 1000)
    assert out.endswith(f"[arena: {2048 * (1 << 20) - FAST.output_bytes} more bytes of output dropped]")
    assert len(out) < FAST.output_bytes + 100
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 100_000  # KiB: under 100 MB


def test_escape_sequences_are_escaped(box):
    sb = box("""\
        sys.stderr.write("\\x1b[2J\\x1b[31mred\\x1b]0;owned\\x07 back\\rspace \\u202eevil\\n")
        sys.stderr.flush()
        wait(); reply({})
        """)
    sb.request({"t": "init"}, first=True)
    sb.close()  # output() is a snapshot while running; complete once closed
    out = sb.output()
    assert not any(c in out for c in "\x1b\x07\r\u202e")
    assert out == "\\x1b[2J\\x1b[31mred\\x1b]0;owned\\x07 back\\x0dspace \\u202eevil\n"


# ----------------------------------------------------------------------------- resources


def test_memory_hog(box):
    sb = box(READY + "hog = bytearray(1 << 30)\nreply({'got': len(hog)})\n")
    sb.request({"t": "init"}, first=True)
    err = _fails(sb, {"t": "step"})
    assert err.status == "ERROR"
    assert err.reason == "controller exited with code 1 (last output: MemoryError)"


def test_filling_the_disk(box):
    sb = box(
        READY,
        """\
        results = {}
        for path in ("big", os.environ["TMPDIR"] + "/big", "/tmp/big-" + os.environ["KIT_TEST_MARK"]):
            written = 0
            try:
                with open(path, "wb") as f:
                    for _ in range(64):
                        f.write(b"z" * (1 << 20))
                        f.flush()
                        written += 1 << 20
            except OSError as e:
                results[path] = [e.errno, written]
        reply(results)
        """,
    )
    sb.request({"t": "init"}, first=True)
    res = sb.request({"t": "go"})
    assert len(res) == 3
    for err_no, written in res.values():
        assert err_no in (errno.EFBIG, errno.ENOSPC) and written <= FAST.disk_mb << 20


def test_limits_and_priority_applied(box):
    sb = box("""\
        import resource
        wait()
        reply({"nice": os.nice(0), "as": resource.getrlimit(resource.RLIMIT_AS)[0],
               "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
               "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
               "core": resource.getrlimit(resource.RLIMIT_CORE)[0]})
        """)
    got = sb.request({"t": "init"}, first=True)
    assert got == {"nice": 10, "as": 256 << 20, "cpu": FAST.cpu_s, "nofile": FAST.nofile, "core": 0}


def test_fork_bomb_is_contained(box):
    sb = box(
        READY,
        """\
        made = 0
        try:
            while True:
                if os.fork() == 0:  # every child forks too, forever
                    while True:
                        try:
                            os.fork()
                        except OSError:
                            time.sleep(0.01)
                made += 1
        except OSError as e:
            reply({"errno": e.errno, "made": made})
        """,
    )
    sb.request({"t": "init"}, first=True)
    if not sb.procs_limited:
        pytest.skip(
            f"{sb.isolation}: no pids cgroup and no unprivileged uid here, a fork bomb would not be bounded"
        )
    sb.send({"t": "go"})
    got = sb.recv(deadline_s=10)
    assert got["errno"] == errno.EAGAIN and got["made"] < FAST.procs
    assert len(_marked(box.token)) <= FAST.procs
    sb.close()


# ----------------------------------------------------------------------------- escapes


def test_no_network_not_even_loopback(box):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    try:
        sb = box(
            READY,
            f"""\
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
                reply({{"connected": True}})
            except OSError as e:
                reply({{"connected": False, "error": str(e)}})
            """,
        )
        sb.request({"t": "init"}, first=True)
        if not sb.features.get("netns"):
            pytest.skip("rlimit mode without root has the host network")
        assert sb.request({"t": "go"}, first=True)["connected"] is False
        with pytest.raises(OSError):
            server.accept()
    finally:
        server.close()


def test_cannot_read_or_write_outside(box):
    secret = box.tmp_path / "secret.txt"
    secret.write_text("opponent's code")
    project = Path(__file__).resolve().parents[1]
    sb = box(
        READY,
        f"""\
        out = {{}}
        try:
            out["read"] = open({str(secret)!r}).read()
        except OSError as e:
            out["read_error"] = e.errno
        for target in ({str(project / "pwned.txt")!r}, {str(box.tmp_path / "pwned.txt")!r}):
            try:
                open(target, "w").write("x")
                out[target] = "written"
            except OSError as e:
                out[target] = e.errno
        reply(out)
        """,
    )
    sb.request({"t": "init"}, first=True)
    got = sb.request({"t": "go"}, first=True)
    if sb.isolation == "rlimit" and sb.features["uid"] == os.geteuid():
        pytest.skip("rlimit mode without a uid change shares the arena's file permissions")
    assert "read" not in got and got["read_error"] in (errno.ENOENT, errno.EACCES)
    # bwrap's /tmp is the sandbox's own tmpfs: a checkout under /tmp (as in CI) shows up there as
    # the empty mount point of the venv, and a file written there never reaches the real tree
    private = ("/tmp/",) if sb.isolation == "bwrap" else ()
    assert all(v != "written" or k.startswith(private) for k, v in got.items()), got
    assert not (project / "pwned.txt").exists()
    assert not (box.tmp_path / "pwned.txt").exists()


def test_killing_its_parent_and_everyone(box):
    opponent = box("for line in sys.stdin:\n    reply({'alive': True})\n")
    opponent.request({"t": "init"}, first=True)
    sb = box(
        READY,
        """\
        out = {}
        for target in (os.getppid(), -1):
            try:
                os.kill(target, 9)
                out[str(target)] = "sent"
            except OSError as e:
                out[str(target)] = e.errno
        time.sleep(0.2)
        reply(out)
        """,
    )
    sb.request({"t": "init"}, first=True)
    if sb.isolation == "rlimit" and sb.features["uid"] == os.geteuid():
        pytest.skip("rlimit mode without a uid change could signal every process of this user")
    sb.request({"t": "go"}, first=True)
    assert opponent.request({"t": "step"}) == {"alive": True}  # the opponent and the arena are fine


def test_daemonized_grandchild_dies_at_close(box):
    sb = box(
        READY,
        """\
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                for fd in (0, 1, 2):
                    os.close(fd)
                time.sleep(3600)
            os._exit(0)
        os.wait()
        time.sleep(0.1)
        reply({})
        time.sleep(3600)
        """,
    )
    sb.request({"t": "init"}, first=True)
    sb.request({"t": "go"}, first=True)
    assert len(_marked(box.token)) >= 2  # the controller and its daemon
    sb.close()
    assert _marked(box.token) == []


def test_readonly_paths_are_visible_but_read_only(box, mode, tmp_path):
    if mode != "bwrap":
        pytest.skip("rlimit mode does not hide or freeze the file system; readonly= only matters in bwrap")
    code = tmp_path / "policy"
    code.mkdir()
    (code / "weights.json").write_text('{"w": [1, 2]}')
    sb = box(READY, f"""\
        out = {{"data": json.load(open({str(code / "weights.json")!r}))}}
        try:
            open({str(code / "new.json")!r}, "w")
        except OSError as e:
            out["write_error"] = e.errno
        reply(out)
        """, readonly=[code])  # fmt: skip
    sb.request({"t": "init"}, first=True)
    assert sb.request({"t": "go"}) == {"data": {"w": [1, 2]}, "write_error": errno.EROFS}

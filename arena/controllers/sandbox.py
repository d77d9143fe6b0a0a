"""Run an untrusted controller in a separate, contained process and talk to it in JSON lines.

Standard library only. Two isolation modes:

``bwrap`` (preferred)
    bubblewrap namespaces: no network (a private loopback only), new pid/ipc/uts/cgroup namespaces,
    the host file system read-only and only where needed (``/usr``, the Python prefixes, the
    ``readonly`` paths), a size-capped tmpfs as ``/tmp`` and as the working directory, no
    capabilities, a clean environment. Killing bwrap tears down the pid namespace, so every
    grandchild dies with it, daemonized or not.

``rlimit`` (fallback, weaker)
    A plain child process with resource limits, a new session, a clean environment and a private
    temporary directory. As root it runs under a dedicated unused uid (so RLIMIT_NPROC counts, it
    cannot signal the arena, and close() can find every process it left) and in an empty network
    namespace. It does NOT hide the file system: the controller can read whatever its uid may read
    (world-readable files) and, unless root, write where that uid may write. There is no seccomp
    filter (``pyseccomp`` is not used). Not root: no uid change, no network namespace, and a
    controller can signal the arena process. Use it only where bubblewrap cannot run.

In both modes, where a writable cgroup file system exists, each sandbox gets its own cgroup: the
v2 one gives an atomic ``cgroup.kill`` of the whole tree, a pids controller (v1 or v2) caps the
number of processes, which is what contains a fork bomb when the controller's processes belong to
root (RLIMIT_NPROC never stops root). Without cgroups, close() walks /proc for descendants,
the session and process group, and (rlimit as root) the dedicated uid. ``features`` records what
was actually applied; store it with the results.

Caveat: the parent-death signal (bwrap --die-with-parent, PR_SET_PDEATHSIG in rlimit mode) fires
when the *thread* that started the sandbox exits, so start sandboxes from a long-lived thread.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["Limits", "Sandbox", "SandboxError", "bwrap_usable"]

WORKDIR = "/sandbox"  # the controller's home and working directory inside bubblewrap
NOBODY = 65534
_UID_BASE, _UID_SPAN = 0x30000, 0x10000  # dedicated uids for rlimit mode as root (not in passwd)
_MIB = 1 << 20

_libc = ctypes.CDLL(None, use_errno=True)  # loaded here: preexec code must not import or dlopen
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS = 1, 36, 38
_CLONE_NEWNET = 0x40000000

_SIGNAL_HINTS = {
    signal.SIGKILL: "memory or CPU limit?",
    signal.SIGXCPU: "CPU time limit",
    signal.SIGXFSZ: "file size limit",
    signal.SIGSEGV: "crashed; memory limit?",
}


@dataclass(frozen=True)
class Limits:
    init_s: float = 10.0  # wall-clock for the first reply (import + construct)
    step_s: float = 0.05  # per-message wall-clock deadline ...
    bank_s: float = 10.0  # ... plus a time bank that overruns drain (Kaggle-style overage)
    memory_mb: int = 512  # address-space cap (RLIMIT_AS)
    cpu_s: int = 600  # total CPU seconds (RLIMIT_CPU), per process
    output_bytes: int = 65536  # captured stderr kept, the rest dropped (but drained)
    nofile: int = 64
    max_line_bytes: int = 1_000_000  # a protocol line longer than this is INVALID
    procs: int = 64  # processes + threads (pids cgroup, RLIMIT_NPROC)
    disk_mb: int = 64  # largest file (RLIMIT_FSIZE) and size of each bwrap tmpfs


class SandboxError(Exception):
    """A controller failure: ``status`` is ERROR, TIMEOUT or INVALID; ``reason`` is one line."""

    def __init__(self, status: str, reason: str):
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


# ----------------------------------------------------------------------------- host probing


def _bwrap_base(userns: bool) -> list[str]:
    argv = ["bwrap", "--unshare-all"]
    if userns:  # appear as nobody inside; the process has no capabilities either way
        argv += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    return argv + ["--die-with-parent", "--new-session", "--clearenv", "--cap-drop", "ALL"]


@cache
def _bwrap_variant() -> tuple[bool, str]:
    """Probe once whether bubblewrap can start Python here. Returns (userns?, "" or why not)."""
    if not shutil.which("bwrap"):
        return False, "bubblewrap is not installed (apt-get install bubblewrap)"
    why = ""
    for userns in (True, False):
        argv = (
            _bwrap_base(userns)
            + _bwrap_mounts([], {}, Limits())
            + ["--", sys.executable, "-I", "-S", "-c", ""]
        )
        try:
            r = subprocess.run(argv, capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as e:
            why = str(e)
            continue
        if r.returncode == 0:
            return userns, ""
        why = r.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {r.returncode}"]
        why = why[0]
    return False, f"bubblewrap cannot start a sandbox here: {why}"


def bwrap_usable() -> tuple[bool, str]:
    """(True, "") if bubblewrap works on this machine, else (False, reason)."""
    why = _bwrap_variant()[1]
    return not why, why


def _bwrap_mounts(readonly: list[Path], workdir_files: dict[str, Path], limits: Limits) -> list[str]:
    size = str(limits.disk_mb * _MIB)
    # tmpfs first: later binds (e.g. a path under /tmp) then land on top of it, not under it
    argv = [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        size,
        "--tmpfs",
        "/dev/shm",
        "--size",
        size,
        "--tmpfs",
        "/tmp",
    ]
    argv += ["--size", size, "--tmpfs", WORKDIR, "--ro-bind", "/usr", "/usr"]
    for d in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(d):  # merged-/usr layout
            argv += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            argv += ["--ro-bind", d, d]
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime"):  # only what the loader needs
        if os.path.exists(f):
            argv += ["--ro-bind", f, f]
    seen: set[str] = set()
    for p in [sys.base_prefix, sys.prefix, sys.exec_prefix, *map(str, readonly)]:
        real = os.path.realpath(p)
        if real in seen or real.startswith("/usr/") or not os.path.exists(real):
            continue
        seen.add(real)
        argv += ["--ro-bind", real, real]
        if os.path.abspath(p) != real:  # keep the caller's spelling working too (venv symlinks)
            argv += ["--ro-bind", real, os.path.abspath(p)]
    for name, src in workdir_files.items():
        argv += ["--ro-bind", str(Path(src).resolve()), f"{WORKDIR}/{_safe_name(name)}"]
    # bwrap's own / and /dev are uncapped tmpfs (RAM): freeze them once everything is mounted
    return argv + ["--remount-ro", "/dev", "--remount-ro", "/"]


def _safe_name(name: str) -> str:
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"workdir file name must be a plain file name, got {name!r}")
    return name


def _mountpoints(fstype: str) -> list[tuple[str, str]]:
    """(mount point, super options) of every mount of this file-system type."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, rfields = left.split(), right.split()
            if rfields and rfields[0] == fstype:
                out.append((fields[4], rfields[2] if len(rfields) > 2 else ""))
    return out


@cache
def _cgroup_parents() -> tuple[str | None, str | None]:
    """Writable (v2 dir, v1 pids dir) to create per-sandbox cgroups in, or None."""
    own = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, ctrls, path = line.rstrip("\n").split(":", 2)
                own[ctrls] = path
        v2 = v1 = None
        for mnt, _ in _mountpoints("cgroup2"):
            d = (mnt + own.get("", "/")).rstrip("/")
            if os.path.exists(d + "/cgroup.procs") and os.access(d, os.W_OK):
                v2 = d
                break
        for mnt, opts in _mountpoints("cgroup"):
            if "pids" in opts.split(","):
                path = next((p for c, p in own.items() if "pids" in c.split(",")), "/")
                if os.access(mnt + path, os.W_OK):
                    v1 = (mnt + path).rstrip("/")
                break
        return v2, v1
    except OSError:
        return None, None


# ----------------------------------------------------------------------------- helpers


def _proc_table() -> list[tuple[int, int, int, int, str]]:
    """(pid, ppid, pgrp, session, state) of every process, from /proc."""
    rows = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        rest = data[data.rfind(b")") + 2 :].split()  # the command name may contain spaces and ')'
        rows.append((int(name), int(rest[1]), int(rest[2]), int(rest[3]), rest[0].decode()))
    return rows


def _proc_uid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _world_executable(path: str) -> bool:
    """Could an unrelated uid execute this file (every directory on the way o+x, file o+rx)?"""
    p = Path(os.path.realpath(path))
    try:
        if (p.stat().st_mode & (stat.S_IROTH | stat.S_IXOTH)) != (stat.S_IROTH | stat.S_IXOTH):
            return False
        return all(d.stat().st_mode & stat.S_IXOTH for d in p.parents)
    except OSError:
        return False


# Where an unprivileged uid can create files outside its private directory on a usual Linux box.
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def _remove_owned(uid: int) -> None:
    """rlimit mode: delete what the controller's dedicated uid left in world-writable places."""
    for d in WORLD_WRITABLE:
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                if e.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if e.is_dir(follow_symlinks=False):
                    shutil.rmtree(e.path, ignore_errors=True)
                else:
                    os.unlink(e.path)
            except OSError:
                pass


def _escape(text: str) -> str:
    """Make captured output safe to print: no terminal escapes, no control or bidi characters."""
    out = []
    for c in text:
        if c in "\n\t" or c.isprintable():
            out.append(c)
        else:
            out.append(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
    return "".join(out)


def _write(path: str, data: str) -> bool:
    try:
        with open(path, "w") as f:
            f.write(data)
        return True
    except OSError:
        return False


# ----------------------------------------------------------------------------- the sandbox


class Sandbox:
    """One controller process. ``start()``, then ``request()`` per step, ``close()`` at the end.

    Any SandboxError kills the controller; later calls raise the same error again.
    JSON is strict both ways (no NaN/Infinity); replies must be JSON objects.
    """

    _counter = 0

    def __init__(
        self,
        argv: list[str],
        *,
        readonly: list[Path] = (),
        workdir_files: dict[str, Path] = {},  # noqa: B006 - never mutated
        limits: Limits = Limits(),  # noqa: B008 - frozen
        isolation: str = "auto",
        env: dict[str, str] | None = None,
        cpu: int | None = None,
        spin: bool = False,
    ):
        """cpu: run the controller on this CPU only; spin: poll for replies instead of sleeping
        (for a controller on a core of its own; see runner.placement)."""
        if isolation not in ("auto", "bwrap", "rlimit"):
            raise ValueError(f"isolation must be auto, bwrap or rlimit, not {isolation!r}")
        self.argv = list(argv)
        self.readonly = [Path(p) for p in readonly]
        self.workdir_files = {_safe_name(k): Path(v) for k, v in workdir_files.items()}
        self.limits = limits
        self.requested = isolation
        self.isolation = (
            "bwrap" if isolation == "bwrap" or (isolation == "auto" and bwrap_usable()[0]) else "rlimit"
        )
        self.extra_env = dict(env or {})
        self.cpu, self.spin = cpu, spin
        self.bank_left = float(limits.bank_s)
        self.features: dict[str, object] = {"isolation": self.isolation}
        self.failure: SandboxError | None = None
        self._proc: subprocess.Popen | None = None
        self._uid: int | None = None
        self._tmp: str | None = None
        self._cgroups: list[str] = []
        self._cg_kill: str | None = None
        self._buf = bytearray()
        self._scanned = 0
        self._sent_at: float | None = None
        self._err = bytearray()
        self._err_dropped = 0
        self._drain: threading.Thread | None = None
        self._closed = False

    # -- lifecycle

    def start(self) -> None:
        if self._proc is not None or self._closed:
            raise RuntimeError("a Sandbox is started once")
        try:
            argv, env, cwd = self._bwrap_argv() if self.isolation == "bwrap" else self._rlimit_argv()
            self._make_cgroups()
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=cwd, env=env, start_new_session=True, preexec_fn=self._preexec(), bufsize=0,
            )  # fmt: skip
        except SandboxError as e:
            self._fail(e.status, e.reason)
        except OSError as e:
            self._fail("ERROR", f"controller could not be started: {e}")
        self._check_cgroups()
        self.features["pid"] = self._proc.pid
        os.set_blocking(self._proc.stdin.fileno(), False)  # a child that stops reading must not block send()
        os.set_blocking(self._proc.stdout.fileno(), False)  # replies are polled (see _read_line)
        if self.cpu is not None:
            self.features["cpu"] = self.cpu
        self._drain = threading.Thread(target=self._drain_stderr, name="sandbox-stderr", daemon=True)
        self._drain.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._proc is not None:
            self._kill_tree()
            for pipe in (self._proc.stdin, self._proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            if self._drain is not None:
                self._drain.join(timeout=2)  # EOF arrives once every holder of the pipe is dead
            self._proc.stderr.close()
        for cg in reversed(self._cgroups):
            for _ in range(200):  # rmdir fails (EBUSY) until the last member is reaped
                try:
                    os.rmdir(cg)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
        if self._uid is not None:
            _remove_owned(self._uid)

    def __enter__(self) -> Sandbox:
        if self._proc is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- protocol

    def send(self, msg: dict) -> None:
        self._check_usable()
        data = (_ENCODER.encode(msg) + "\n").encode()
        fd = self._proc.stdin.fileno()
        try:  # nearly always the whole line fits in the pipe at once
            n = os.write(fd, data)
        except BlockingIOError:
            n = 0
        except OSError:
            self._fail("ERROR", self._exit_reason(wait_s=1.0))
        view = memoryview(data)[n:]
        deadline = time.monotonic() + max(self.limits.step_s + self.bank_left, 1.0)
        while view:  # the pipe was full: wait until the child reads, within the deadline
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                self._fail("TIMEOUT", "stopped reading its input")
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                continue
            except OSError:
                self._fail("ERROR", self._exit_reason(wait_s=1.0))
        self._sent_at = time.monotonic()

    def recv(self, deadline_s: float | None = None) -> dict:
        """One reply. Deadline: step_s plus what is left of the bank, or ``deadline_s`` (no bank),
        counted from the last send()."""
        self._check_usable()
        start = self._sent_at if self._sent_at is not None else time.monotonic()
        self._sent_at = None
        banked = deadline_s is None
        budget = self.limits.step_s + self.bank_left if banked else deadline_s
        line = self._read_line(start + budget)
        if line is None:
            if banked:
                self.bank_left = 0.0
                reason = (
                    f"no reply within {self.limits.step_s} s and used up its {self.limits.bank_s} s time bank"
                )
            else:
                reason = f"no reply within {deadline_s} s"
            self._fail("TIMEOUT", reason)
        if banked:
            overrun = time.monotonic() - start - self.limits.step_s
            if overrun > 0:
                self.bank_left = max(0.0, self.bank_left - overrun)
        try:
            reply = _DECODER.decode(line.decode("utf-8"))
        except (ValueError, RecursionError) as e:
            self._fail("INVALID", f"reply is not valid JSON ({str(e)[:120]})")
        if not isinstance(reply, dict):
            self._fail("INVALID", f"reply is a JSON {type(reply).__name__}, not an object")
        return reply

    def request(self, msg: dict, *, first: bool = False) -> dict:
        self.send(msg)
        return self.recv(self.limits.init_s if first else None)

    def output(self) -> str:
        text = _escape(bytes(self._err).decode("utf-8", errors="backslashreplace"))
        if self._err_dropped:
            text += f"\n[arena: {self._err_dropped} more bytes of output dropped]"
        return text

    # -- internals: reading

    def _read_line(self, deadline: float) -> bytes | None:
        fd = self._proc.stdout.fileno()
        cap = self.limits.max_line_bytes
        while True:
            i = self._buf.find(b"\n", self._scanned)
            if i >= 0:
                line = bytes(self._buf[:i])
                del self._buf[: i + 1]
                self._scanned = 0
                if len(line) > cap:
                    self._fail("INVALID", f"sent a line longer than {cap} bytes")
                return line
            self._scanned = len(self._buf)
            if len(self._buf) > cap:
                self._fail("INVALID", f"sent a line longer than {cap} bytes")
            chunk = self._poll(fd, deadline)
            if chunk is None:
                return None
            if not chunk:
                self._fail("ERROR", self._exit_reason(wait_s=1.0, eof=True))
            self._buf += chunk

    SPIN_S = 0.002  # how long to poll for a reply before sleeping, in spin mode

    def _poll(self, fd: int, deadline: float) -> bytes | None:
        """The next chunk from the child's stdout (b"" at EOF), or None past the deadline. In spin
        mode, poll (yielding the core each time) for up to SPIN_S first: a reply from a
        controller on another core then costs no wake-up."""
        if self.spin:
            end = min(deadline, time.monotonic() + self.SPIN_S)
            while True:
                try:
                    return os.read(fd, 1 << 16)
                except BlockingIOError:
                    if time.monotonic() > end:
                        break
                    os.sched_yield()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if select.select([fd], [], [], left)[0]:
                try:
                    return os.read(fd, 1 << 16)
                except BlockingIOError:  # readable, then not (a spurious wake-up)
                    continue

    def _drain_stderr(self) -> None:
        # Runs until EOF: whatever the child writes is read, so it never blocks on a full pipe;
        # only the first output_bytes are kept, so it never fills the arena's memory either.
        fd = self._proc.stderr.fileno()
        cap = self.limits.output_bytes
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            room = cap - len(self._err)
            if room > 0:
                self._err += chunk[:room]
            self._err_dropped += max(0, len(chunk) - max(room, 0))

    def _exit_reason(self, wait_s: float, eof: bool = False) -> str:
        try:
            rc = self._proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            return "controller closed its stdout" if eof else "controller stopped reading its input"
        sig = -rc if rc < 0 else rc - 128 if self.isolation == "bwrap" and rc > 128 else 0
        if sig:
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            hint = _SIGNAL_HINTS.get(sig)
            reason = f"killed by {name}" + (f" ({hint})" if hint else "")
        else:
            reason = f"controller exited with code {rc}"
        if self._drain is not None:
            self._drain.join(timeout=0.5)  # let the last words arrive
        last = [ln for ln in self.output().splitlines() if ln.strip() and not ln.startswith("[arena:")]
        if last:
            reason += f" (last output: {last[-1].strip()[:200]})"
        return reason

    def _check_usable(self) -> None:
        if self.failure is not None:
            raise self.failure
        if self._proc is None or self._closed:
            raise RuntimeError("sandbox is not running")

    def _fail(self, status: str, reason: str):
        self.failure = SandboxError(status, reason)
        self.close()
        raise self.failure

    # -- internals: starting

    def _base_env(self, home: str, tmp: str) -> dict[str, str]:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": tmp, "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1"}  # fmt: skip
        env.update(self.extra_env)
        return env

    def _bwrap_argv(self) -> tuple[list[str], dict[str, str], str | None]:
        userns, why = _bwrap_variant()
        if why:
            raise SandboxError("ERROR", why)
        argv = _bwrap_base(userns)
        for k, v in self._base_env(WORKDIR, "/tmp").items():
            argv += ["--setenv", k, v]
        argv += _bwrap_mounts(self.readonly, self.workdir_files, self.limits)
        argv += ["--chdir", WORKDIR, "--", *self.argv]
        self.features.update(userns=userns, uid_inside=NOBODY if userns else 0, netns=True, pidns=True)
        return argv, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, None

    def _rlimit_argv(self) -> tuple[list[str], dict[str, str], str]:
        self._tmp = tempfile.mkdtemp(prefix="kit-arena-")
        for name, src in self.workdir_files.items():
            dst = os.path.join(self._tmp, name)
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o444)
        if os.geteuid() == 0:
            # Root: run as a fresh uid that owns nothing else, so NPROC counts, it cannot signal
            # us, and close() can find every process it started, setsid or not.
            exe = shutil.which(self.argv[0]) or self.argv[0]
            if not _world_executable(exe):
                raise SandboxError(
                    "ERROR",
                    f"rlimit isolation runs the controller as an unprivileged uid, which "
                    f"cannot execute {exe}; install bubblewrap or use a world-readable Python",
                )
            self._uid = self._free_uid()
            os.chown(self._tmp, self._uid, self._uid)
        self.features.update(
            uid=self._uid if self._uid is not None else os.geteuid(), netns=os.geteuid() == 0
        )
        return self.argv, self._base_env(self._tmp, self._tmp), self._tmp

    @staticmethod
    def _free_uid() -> int:
        used = {_proc_uid(pid) for pid, *_ in _proc_table()}
        while True:
            uid = _UID_BASE + random.randrange(_UID_SPAN)
            if uid not in used:
                return uid

    def _make_cgroups(self) -> None:
        v2, v1 = _cgroup_parents()
        Sandbox._counter += 1
        name = f"kit-arena-{os.getpid()}-{Sandbox._counter}"
        for parent in (v2, v1):
            if parent is None:
                continue
            d = f"{parent}/{name}"
            try:
                os.mkdir(d)
            except OSError:
                continue
            self._cgroups.append(d)
            if parent == v2 and os.path.exists(f"{d}/cgroup.kill"):  # Linux >= 5.14
                self._cg_kill = f"{d}/cgroup.kill"
            if os.path.exists(f"{d}/pids.max") and _write(f"{d}/pids.max", str(self.limits.procs)):
                self.features["pids_max"] = self.limits.procs

    def _check_cgroups(self) -> None:
        # the child joined in preexec; confirm it (a silent failure there must not claim a limit)
        pid = str(self._proc.pid)
        for d in list(self._cgroups):
            try:
                with open(f"{d}/cgroup.procs") as f:
                    joined = pid in f.read().split()
            except OSError:
                joined = False
            if not joined:
                if self._cg_kill and self._cg_kill.startswith(d):
                    self._cg_kill = None
                if os.path.exists(f"{d}/pids.max"):
                    self.features.pop("pids_max", None)
        self.features["cgroup_kill"] = self._cg_kill is not None
        self.features["nproc"] = self._uid is not None or (self.isolation == "rlimit" and os.geteuid() != 0)

    @property
    def procs_limited(self) -> bool:
        """True when a fork bomb is contained (a pids cgroup, or RLIMIT_NPROC for a non-root uid)."""
        return bool(self.features.get("pids_max") or self.features.get("nproc"))

    def _preexec(self):
        lim, uid, cg_procs = self.limits, self._uid, [f"{d}/cgroup.procs" for d in self._cgroups]
        nproc = lim.procs
        if uid is None and os.geteuid() != 0:  # NPROC counts every process of our uid, not just its own
            nproc += sum(_proc_uid(pid) == os.geteuid() for pid, *_ in _proc_table())
        rlimit_mode = self.isolation == "rlimit"
        cpu = self.cpu
        unshare_net = rlimit_mode and os.geteuid() == 0

        def preexec() -> None:  # in the forked child, before exec: no imports, keep it plain
            for path in cg_procs:
                try:
                    fd = os.open(path, os.O_WRONLY)
                    os.write(fd, b"0")  # "0" = the writing process
                    os.close(fd)
                except OSError:
                    pass
            mem = lim.memory_mb * _MIB
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            resource.setrlimit(resource.RLIMIT_CPU, (lim.cpu_s, lim.cpu_s + 1))  # SIGXCPU, then SIGKILL
            resource.setrlimit(resource.RLIMIT_FSIZE, (lim.disk_mb * _MIB, lim.disk_mb * _MIB))
            resource.setrlimit(resource.RLIMIT_NOFILE, (lim.nofile, lim.nofile))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
            if cpu is not None:
                os.sched_setaffinity(0, {cpu})  # inherited by bwrap and everything it starts
            os.nice(10)  # the arena's physics keeps priority over controllers
            if not rlimit_mode:
                return  # bwrap does the rest (namespaces, die-with-parent, no caps)
            if unshare_net and _libc.unshare(_CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
            if uid is not None:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            # after the uid change, which would clear it: die with the arena, and adopt orphans
            # so a double fork stays a descendant while the controller lives
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # no setuid binary can give root back

        return preexec

    # -- internals: killing

    def _kill_tree(self) -> None:
        root = self._proc.pid
        if self._cg_kill:
            _write(self._cg_kill, "1")  # atomic: no fork can race it
        me = os.getpid()
        pause = 0.0002  # killed processes are usually gone within a millisecond: look again soon,
        for _ in range(200):  # then less and less often (at most every 5 ms, about 1 s in all)
            victims = self._tree(root) - {me, 1}
            if not victims:
                break
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self._proc.poll()  # reap our own child so it stops showing up
            time.sleep(pause)
            pause = min(pause * 2, 0.005)
        self._proc.poll()

    def _tree(self, root: int) -> set[int]:
        """Live processes that belong to this sandbox: descendants of the child, its session and
        process group, and (rlimit as root) everything running under the dedicated uid."""
        table = [row for row in _proc_table() if row[4] not in ("Z", "X")]
        children: dict[int, list[int]] = {}
        found = set()
        for pid, ppid, pgrp, sid, _ in table:
            children.setdefault(ppid, []).append(pid)
            if pid == root or pgrp == root or sid == root:
                found.add(pid)
            elif self._uid is not None and _proc_uid(pid) == self._uid:
                found.add(pid)
        todo = list(found)
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found


def _reject_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


# strict JSON both ways, built once (json.dumps/loads with options build a new coder per call)
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)

"""How the controller is isolated: probing and mounts for bubblewrap, the rlimit mode's temporary
directory and dedicated uid, and per-sandbox cgroups; ``HostSetup`` makes one sandbox's and undoes it."""

from __future__ import annotations

import itertools
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

from arena.controllers.sandbox.limits import _MIB, Limits, SandboxError
from arena.controllers.sandbox.process import _proc_table, _proc_uid, _write

WORKDIR = "/sandbox"  # the controller's home and working directory inside bubblewrap
NOBODY = 65534
_UID_BASE, _UID_SPAN = 0x30000, 0x10000  # dedicated uids for rlimit mode as root (not in passwd)

# ----------------------------------------------------------------------------- bubblewrap


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


# ----------------------------------------------------------------------------- rlimit mode's uid


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


def _free_uid() -> int:
    used = {_proc_uid(pid) for pid, *_ in _proc_table()}
    while True:
        uid = _UID_BASE + random.randrange(_UID_SPAN)
        if uid not in used:
            return uid


# ----------------------------------------------------------------------------- cgroups


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


_cgroup_serial = itertools.count(1)  # names this process's sandbox cgroups apart


# ----------------------------------------------------------------------------- one sandbox's setup


def _base_env(home: str, tmp: str, extra: dict[str, str]) -> dict[str, str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": tmp, "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1"}  # fmt: skip
    env.update(extra)
    return env


class HostSetup:
    """What one sandbox creates on the host: the command line, a temporary directory and a dedicated
    uid (rlimit mode), cgroups. Each is recorded as soon as it exists, so cleanup() undoes a
    half-finished setup too. What was applied goes into ``features`` (the Sandbox's dict)."""

    def __init__(self, isolation: str, limits: Limits, features: dict[str, object]):
        self.isolation = isolation
        self.limits = limits
        self.features = features
        self.uid: int | None = None
        self.tmp: str | None = None
        self.cgroups: list[str] = []
        self.cg_kill: str | None = None  # the v2 cgroup's cgroup.kill, if it has one

    def command(
        self, argv: list[str], readonly: list[Path], workdir_files: dict[str, Path], env: dict[str, str]
    ) -> tuple[list[str], dict[str, str], str | None]:
        """(argv, environment, working directory) to start the controller ``argv`` with."""
        if self.isolation == "bwrap":
            return self._bwrap_argv(argv, readonly, workdir_files, env)
        return self._rlimit_argv(argv, workdir_files, env)

    def _bwrap_argv(
        self, argv: list[str], readonly: list[Path], workdir_files: dict[str, Path], env: dict[str, str]
    ) -> tuple[list[str], dict[str, str], None]:
        userns, why = _bwrap_variant()
        if why:
            raise SandboxError("ERROR", why)
        cmd = _bwrap_base(userns)
        for k, v in _base_env(WORKDIR, "/tmp", env).items():
            cmd += ["--setenv", k, v]
        cmd += _bwrap_mounts(readonly, workdir_files, self.limits)
        cmd += ["--chdir", WORKDIR, "--", *argv]
        self.features.update(userns=userns, uid_inside=NOBODY if userns else 0, netns=True, pidns=True)
        return cmd, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, None

    def _rlimit_argv(
        self, argv: list[str], workdir_files: dict[str, Path], env: dict[str, str]
    ) -> tuple[list[str], dict[str, str], str]:
        self.tmp = tempfile.mkdtemp(prefix="kit-arena-")
        for name, src in workdir_files.items():
            dst = os.path.join(self.tmp, name)
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o444)
        if os.geteuid() == 0:
            # Root: run as a fresh uid that owns nothing else, so NPROC counts, it cannot signal
            # us, and close() can find every process it started, setsid or not.
            exe = shutil.which(argv[0]) or argv[0]
            if not _world_executable(exe):
                raise SandboxError(
                    "ERROR",
                    f"rlimit isolation runs the controller as an unprivileged uid, which "
                    f"cannot execute {exe}; install bubblewrap or use a world-readable Python",
                )
            self.uid = _free_uid()
            os.chown(self.tmp, self.uid, self.uid)
        self.features.update(uid=self.uid if self.uid is not None else os.geteuid(), netns=os.geteuid() == 0)
        return argv, _base_env(self.tmp, self.tmp, env), self.tmp

    def make_cgroups(self) -> None:
        v2, v1 = _cgroup_parents()
        name = f"kit-arena-{os.getpid()}-{next(_cgroup_serial)}"
        for parent in (v2, v1):
            if parent is None:
                continue
            d = f"{parent}/{name}"
            try:
                os.mkdir(d)
            except OSError:
                continue
            self.cgroups.append(d)
            if parent == v2 and os.path.exists(f"{d}/cgroup.kill"):  # Linux >= 5.14
                self.cg_kill = f"{d}/cgroup.kill"
            if os.path.exists(f"{d}/pids.max") and _write(f"{d}/pids.max", str(self.limits.procs)):
                self.features["pids_max"] = self.limits.procs

    def check_cgroups(self, pid: int) -> None:
        # the child joined in preexec; confirm it (a silent failure there must not claim a limit)
        for d in list(self.cgroups):
            try:
                with open(f"{d}/cgroup.procs") as f:
                    joined = str(pid) in f.read().split()
            except OSError:
                joined = False
            if not joined:
                if self.cg_kill and self.cg_kill.startswith(d):
                    self.cg_kill = None
                if os.path.exists(f"{d}/pids.max"):
                    self.features.pop("pids_max", None)
        self.features["cgroup_kill"] = self.cg_kill is not None
        self.features["nproc"] = self.uid is not None or (self.isolation == "rlimit" and os.geteuid() != 0)

    def cleanup(self) -> None:
        """Remove the cgroups, the temporary directory and the dedicated uid's files (once the
        sandbox's processes are dead)."""
        for cg in reversed(self.cgroups):
            for _ in range(200):  # rmdir fails (EBUSY) until the last member is reaped
                try:
                    os.rmdir(cg)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.uid is not None:
            _remove_owned(self.uid)

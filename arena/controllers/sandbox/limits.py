"""What limits the controller runs under: ``Limits``, the error a broken limit turns into, and the
function the forked child runs before exec to apply them (rlimits, CPU, nice, uid, prctl)."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass

from arena.controllers.sandbox.process import _proc_table, _proc_uid

_MIB = 1 << 20

_libc = ctypes.CDLL(None, use_errno=True)  # loaded here: preexec code must not import or dlopen
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS = 1, 36, 38
_CLONE_NEWNET = 0x40000000

# which limit a death by this signal most likely means, for the failure reason
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


def preexec_fn(
    lim: Limits, *, uid: int | None, cgroups: list[str], cpu: int | None, rlimit_mode: bool
) -> Callable[[], None]:
    """The child's preexec function: join ``cgroups``, set the rlimits, pin to ``cpu``, lower the
    priority and, in rlimit mode, leave the network, switch to ``uid`` and set the prctl flags
    (bwrap does those itself). Everything it needs is computed here, in the parent."""
    cg_procs = [f"{d}/cgroup.procs" for d in cgroups]
    nproc = lim.procs
    if uid is None and os.geteuid() != 0:  # NPROC counts every process of our uid, not just its own
        nproc += sum(_proc_uid(pid) == os.geteuid() for pid, *_ in _proc_table())
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

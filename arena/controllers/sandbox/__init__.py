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

Submodules:

``channel``
    ``Sandbox``: start/close, send/recv/request over the JSON-lines pipes, send_floats/send_text/
    recv_frame over the lane, time bank, stderr capture.
``shared``
    The lane's sealed memfd page (arena.controllers.lane) and whether this machine can use one.
``limits``
    ``Limits``, ``SandboxError``, and the child's preexec function that applies the limits.
``isolation``
    Each mode's setup: bubblewrap probing and mounts, the rlimit mode's directory and uid,
    cgroups; ``HostSetup`` makes and undoes one sandbox's.
``process``
    The /proc process table, and killing every process a sandbox left.
"""

from arena.controllers.sandbox.channel import Sandbox
from arena.controllers.sandbox.isolation import WORLD_WRITABLE as WORLD_WRITABLE
from arena.controllers.sandbox.isolation import _world_executable as _world_executable
from arena.controllers.sandbox.isolation import bwrap_usable
from arena.controllers.sandbox.limits import Limits, SandboxError

__all__ = ["Limits", "Sandbox", "SandboxError", "bwrap_usable"]

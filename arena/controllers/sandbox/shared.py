"""The lane's page on the arena's side (arena.controllers.lane): a sealed memfd the controller's
process inherits, so a controller class's observations and actions need no pipe, no system call
and no JSON text for the observation while both sides are awake."""

from __future__ import annotations

import os
import platform

from arena.controllers.lane import Lane

# Where stores reach another core in program order (x86's TSO): the lane publishes a frame by
# writing its step number after it, with no fence, which Python cannot issue.
_ORDERED = {"x86_64", "amd64", "i386", "i686"}


def lane_supported() -> tuple[bool, str]:
    """(whether a sandbox can offer the lane here, why not). ARENA_LANE=0 turns it off (pipes only)."""
    if os.environ.get("ARENA_LANE", "1").strip() == "0":
        return False, "ARENA_LANE=0"
    if platform.machine().lower() not in _ORDERED:
        return False, f"{platform.machine()} may reorder stores (the lane is for x86)"
    if not hasattr(os, "memfd_create"):
        return False, "no memfd_create"
    try:
        import fcntl

        fcntl.F_ADD_SEALS  # noqa: B018 - Linux 3.17+, Python 3.9+
    except (ImportError, AttributeError):
        return False, "no memfd seals"
    return True, ""


def new_lane() -> tuple[Lane, int]:
    """A fresh page and its fd (close-on-exec: pass it to the one child with pass_fds). Sealed at
    its size: a controller that could shrink it would crash the arena with SIGBUS on its next read."""
    import fcntl

    fd = os.memfd_create("kit-arena-lane", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        os.ftruncate(fd, Lane.SIZE)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
        return Lane(fd), fd
    except BaseException:
        os.close(fd)
        raise

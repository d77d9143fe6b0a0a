"""The process table from /proc, and killing every process a sandbox started, however it detached."""

from __future__ import annotations

import os
import signal
import subprocess
import time


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


def _write(path: str, data: str) -> bool:
    try:
        with open(path, "w") as f:
            f.write(data)
        return True
    except OSError:
        return False


def kill_tree(proc: subprocess.Popen, uid: int | None, cg_kill: str | None) -> None:
    """SIGKILL every process of the sandbox whose child is ``proc``: the whole cgroup at once through
    ``cg_kill`` (its cgroup.kill file) if there is one, then whatever _tree still finds."""
    root = proc.pid
    if cg_kill:
        _write(cg_kill, "1")  # atomic: no fork can race it
    me = os.getpid()
    pause = 0.0002  # killed processes are usually gone within a millisecond: look again soon,
    for _ in range(200):  # then less and less often (at most every 5 ms, about 1 s in all)
        victims = _tree(root, uid) - {me, 1}
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        proc.poll()  # reap our own child so it stops showing up
        time.sleep(pause)
        pause = min(pause * 2, 0.005)
    proc.poll()


def _tree(root: int, uid: int | None) -> set[int]:
    """Live processes that belong to the sandbox: descendants of the child ``root``, its session and
    process group, and (rlimit as root) everything running under the dedicated ``uid``."""
    table = [row for row in _proc_table() if row[4] not in ("Z", "X")]
    children: dict[int, list[int]] = {}
    found = set()
    for pid, ppid, pgrp, sid, _ in table:
        children.setdefault(ppid, []).append(pid)
        if pid == root or pgrp == root or sid == root:
            found.add(pid)
        elif uid is not None and _proc_uid(pid) == uid:
            found.add(pid)
    todo = list(found)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def tree_cpu_seconds(root: int, uid: int | None) -> float:
    """CPU seconds (user + system, and of reaped children) used so far by the live processes of
    the sandbox whose child is ``root``: what its controller cost, for benchmarks and reports."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in _tree(root, uid):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                rest = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in rest[11:15])  # utime stime cutime cstime (fields 14-17)
    return total / tick

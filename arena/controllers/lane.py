"""The shared-memory lane between the arena and a controller class (see Lane). Standard library
only: the controller host (host.py) loads this file by its path inside the sandbox, and the arena
imports it as arena.controllers.lane."""

from __future__ import annotations

import os
import select

FLOOD = b"\n"  # what wait() returns for a peer that flooded its pipe with doorbells (an empty line)


class Lane:
    """The shared-memory lane: one 64 KiB page (a sealed memfd the arena creates and hands to the
    child) that carries a controller class's observation and action each step instead of the pipes,
    so neither side makes a system call or parses JSON text for the observation while the other
    side is awake.

    Layout (little-endian u32 words, each on its own cache line): the arena's step number at OBS_SEQ
    and the frame it has just written at OBS; the controller's at ACT_SEQ and ACT, its step number
    set to the arena's once its reply is there. A frame is [u32 length][u32 kind][payload]: FLOATS
    (the observation's values as float64, in the key order and shape sent at reset) or JSON (text).
    A side that gives up polling sets its WAITS word, and the other side then writes one b"\\n" to
    the pipe it sleeps on (the doorbell); the pipes still carry everything else (init, reset,
    errors, an action too big for a frame). Payloads are written before the step number and x86
    keeps stores in order, so a reader that sees the number sees the frame: the arena offers the
    lane on x86-64 only (arena.controllers.sandbox.lane_supported).
    """

    SIZE = 1 << 16
    OBS_SEQ, ACT_SEQ, ARENA_WAITS, CONTROLLER_WAITS = 0, 64, 128, 192
    OBS, ACT = 256, 256 + (SIZE - 256) // 2
    CAP = (SIZE - 256) // 2 - 8  # a frame's payload bytes
    FLOATS, JSON = 1, 2
    GUARD_S = 0.001  # the first sleep's bound: see wait()
    # doorbells one wait may meet: a peer rings once per frame, and only while this side sleeps,
    # which drains them; more is a peer flooding its pipe (wait() returns FLOOD)
    MAX_DOORBELLS = 64

    def __init__(self, fd: int):
        import mmap  # here: only runs that use the lane pay for these imports
        import struct

        self.map = mmap.mmap(fd, self.SIZE)  # shared, read-write
        self.word = struct.Struct("<I")
        self.head = struct.Struct("<II")

    def close(self) -> None:
        """Unmap the page (the mapping holds its own copy of the fd until then)."""
        self.map.close()

    def put(self, seq_off: int, frame_off: int, kind: int, data: bytes, seq: int) -> None:
        """Write a frame, then the step number that publishes it."""
        m, n = self.map, len(data)
        self.head.pack_into(m, frame_off, n, kind)
        m[frame_off + 8 : frame_off + 8 + n] = data
        self.word.pack_into(m, seq_off, seq)

    def put_floats(self, seq_off: int, frame_off: int, fmt, values, seq: int) -> None:
        """Write a FLOATS frame of `values` packed by the struct `fmt`, then its step number."""
        m = self.map
        self.head.pack_into(m, frame_off, fmt.size, self.FLOATS)
        fmt.pack_into(m, frame_off + 8, *values)
        self.word.pack_into(m, seq_off, seq)

    def frame(self, frame_off: int) -> tuple[int, bytes]:
        """(kind, a copy of the payload) of the frame at frame_off; ValueError if its length is
        out of bounds (the peer may write anything there: read it once, then parse the copy)."""
        n, kind = self.head.unpack_from(self.map, frame_off)
        if n > self.CAP:
            raise ValueError(f"a lane frame of {n} bytes (at most {self.CAP})")
        return kind, self.map[frame_off + 8 : frame_off + 8 + n]

    def ring(self, waits_off: int, fd: int) -> None:
        """Wake the peer if it sleeps on `fd` (its WAITS word set): one byte on its pipe."""
        if self.word.unpack_from(self.map, waits_off)[0]:
            try:
                os.write(fd, b"\n")
            except OSError:  # full: the peer has unread bytes and wakes anyway; closed: its end
                pass  # shows on the other pipe, where this side waits next

    def wait(self, seq_off: int, want: int, waits_off: int, fd: int, policy, clock,
             deadline: float | None = None):
        """Until the step number at seq_off is `want`: True. Polls while `policy` (host.SpinPolicy,
        its poll()) says polling pays, then sleeps on the non-blocking pipe `fd` with its WAITS
        word set. Anything else arriving on
        `fd` ends the wait: its bytes (a protocol line or part of one; b"" at end of input), with
        any doorbells before them dropped, or FLOOD after more than MAX_DOORBELLS of them. None once
        `deadline` (on `clock`) has passed: the pipe is read once per round, so a peer that keeps
        it full cannot hold the wait past its deadline.

        A doorbell can be missed only when the peer publishes in the instant this side sets its
        WAITS word (each may still see the other's old value), so the first sleep lasts at most
        GUARD_S before the step number is read again; later the word is long visible."""
        m, unpack = self.map, self.word.unpack_from
        if unpack(m, seq_off)[0] == want:
            return True
        start = clock()
        if policy.poll(lambda: True if unpack(m, seq_off)[0] == want else None, clock, start, deadline):
            return True
        self.word.pack_into(m, waits_off, 1)
        try:
            guard, rung = self.GUARD_S, 0
            while True:
                got = _read(fd)  # one read per round: a peer that floods its pipe meets the deadline
                if got is not None:
                    rest = got.lstrip(b"\n")
                    if rest or not got:
                        return rest  # a message (or part of one), or b"" at end of input
                    rung += len(got)
                    if rung > self.MAX_DOORBELLS:
                        return FLOOD
                    continue  # doorbells only: there may be more to read
                if unpack(m, seq_off)[0] == want:
                    policy.record(clock() - start)
                    return True
                left = None if deadline is None else deadline - clock()
                if left is not None and left <= 0:
                    return None
                if guard:
                    left = guard if left is None else min(left, guard)
                    guard = 0.0
                select.select([fd], [], [], left)
        finally:
            self.word.pack_into(m, waits_off, 0)


def _read(fd: int) -> bytes | None:
    """One read of a non-blocking pipe: None when it is empty, b"" at end of input."""
    try:
        return os.read(fd, 1 << 16)
    except BlockingIOError:
        return None

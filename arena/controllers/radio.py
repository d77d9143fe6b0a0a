"""Bluetooth between the bricks of one match: the arena routes pybricks.messaging traffic.

Each player's brick has a name (BRICK_NAMES: player 0 is "ev3dev", the name a fresh EV3
MicroPython brick has, so the pybricks docs' client program that connects to 'ev3dev' finds the
first player's server unmodified; player i > 0 is "ev3dev-<i+1>"). A brick program's requests come
with its action (`"bt"` in the host's action line) and are handled in player order, listens
first, so the same programs give the same traffic at any speed. What a brick receives arrives
with a later observation (`"bt"` in the act message), LATENCY_STEPS control periods after it was
sent (a connection's answer takes the way there and back). Frames are the EV3 WRITEMAILBOX
frames pybricks builds (brick/pybricks/messaging.py); the arena only reads their mailbox name
for the log. docs/brick.md, "Messaging".
"""

from __future__ import annotations

import struct

from arena.controllers.protocol import InvalidAction

LATENCY_STEPS = 2  # one way, in 10 ms control periods: 20 ms (docs/brick.md, "Messaging")
MAX_REQUESTS = 64  # per brick per control period
MAX_FRAME = 4096  # bytes of one WRITEMAILBOX frame (pybricks' own limit is the 16-bit length)
MAX_LOG = 5000  # log entries kept for the result
ECONNREFUSED, EHOSTDOWN = 111, 112


def brick_names(players: int) -> list[str]:
    return ["ev3dev" if i == 0 else f"ev3dev-{i + 1}" for i in range(players)]


def mailbox_of(frame: bytes) -> str | None:
    """The mailbox name in a WRITEMAILBOX frame, or None when the frame is not one."""
    if len(frame) < 9:
        return None
    size, _count, kind, cmd, name_len = struct.unpack_from("<HHBBB", frame)
    if size != len(frame) - 2 or kind != 0x81 or cmd != 0x9E or len(frame) < 9 + name_len:
        return None
    (data_len,) = struct.unpack_from("<H", frame, 7 + name_len)
    if 9 + name_len + data_len != len(frame):
        return None
    return frame[7:7 + name_len].rstrip(b"\0").decode("utf-8", "replace")


class Radio:
    """The match's Bluetooth: who listens, who is connected to whom, what is on its way."""

    def __init__(self, players: int, control_ms: int):
        self.names = brick_names(players)
        self.control_ms = control_ms
        self.listening: set[int] = set()
        self.links: set[frozenset] = set()
        self.off: set[int] = set()  # bricks whose program ended or failed
        self.queue: list = []  # (due step, seq, player, event)
        self.seq = 0
        self.log: list = []
        self.truncated = False

    def _put(self, due: int, player: int, event: list) -> None:
        self.queue.append((due, self.seq, player, event))
        self.seq += 1

    def _record(self, entry: dict) -> None:
        if len(self.log) < MAX_LOG:
            self.log.append(entry)
        else:
            self.truncated = True

    def _t(self, step: int) -> float:
        return round(step * self.control_ms / 1000.0, 3)

    def submit(self, step: int, requests: dict) -> dict:
        """Handle every brick's requests of control step `step` ({player: [request, ...]}).
        Returns {player: InvalidAction} for bricks whose requests were malformed."""
        bad: dict = {}
        parsed: dict = {}
        for p in sorted(requests):
            try:
                parsed[p] = self._parse(requests[p])
            except InvalidAction as exc:
                bad[p] = exc
        for p in sorted(parsed):  # a server that starts listening this period is found by a client's connect
            if any(r[0] == "listen" for r in parsed[p]):
                self.listening.add(p)
        for p in sorted(parsed):
            for r in parsed[p]:
                if r[0] == "connect":
                    self._connect(step, p, r[1])
                elif r[0] == "send":
                    self._send(step, p, r[1], r[2])
                elif r[0] == "close":
                    self._close(step, p, r[1])
        return bad

    def _parse(self, reqs) -> list:
        if type(reqs) is not list or len(reqs) > MAX_REQUESTS:
            raise InvalidAction(f"bt must be a list of at most {MAX_REQUESTS} messaging requests")
        out = []
        for r in reqs:
            if type(r) is not list or not r or r[0] not in ("listen", "connect", "send", "close") \
                    or (r[0] == "listen" and len(r) != 1):
                raise InvalidAction(f"bt request {str(r)[:60]!r} is not listen, connect, send or close")
            if r[0] in ("connect", "close") and not (len(r) == 2 and r[1] in self.names):
                raise InvalidAction(f"bt {r[0]} needs one of the bricks {', '.join(self.names)}")
            if r[0] == "send":
                if len(r) != 3 or type(r[1]) is not list or any(d not in self.names for d in r[1]) \
                        or type(r[2]) is not str or len(r[2]) > 2 * MAX_FRAME:
                    raise InvalidAction(f"bt send needs [bricks], a frame of at most {MAX_FRAME} bytes in hex")
                try:
                    frame = bytes.fromhex(r[2])
                except ValueError:
                    raise InvalidAction("bt send: the frame is not hex") from None
                if mailbox_of(frame) is None:
                    raise InvalidAction("bt send: the frame is not an EV3 WRITEMAILBOX frame")
                r = ["send", r[1], frame]
            out.append(r)
        return out

    def _connect(self, step: int, p: int, name: str) -> None:
        q = self.names.index(name)
        entry = {"t_s": self._t(step), "event": "connect", "from": self.names[p], "to": name}
        if q == p or q in self.off or q not in self.listening:
            errno = EHOSTDOWN if q in self.off else ECONNREFUSED
            why = ("its program has ended" if q in self.off else
                   "it is this brick" if q == p else "it has no BluetoothMailboxServer waiting")
            self._put(step + 2 * LATENCY_STEPS, p, ["refused", name, errno, why])
            self._record({**entry, "ok": False, "why": why})
            return
        self.links.add(frozenset((p, q)))
        self._put(step + LATENCY_STEPS, q, ["accept", self.names[p]])
        self._put(step + 2 * LATENCY_STEPS, p, ["connected", name])
        self._record({**entry, "ok": True})

    def _send(self, step: int, p: int, dests: list, frame: bytes) -> None:
        for name in dests:
            q = self.names.index(name)
            if frozenset((p, q)) not in self.links:
                continue  # the peer has gone: the frame is lost, as on a dropped link
            self._put(step + LATENCY_STEPS, q, ["mail", self.names[p], frame.hex()])
            self._record({"t_s": self._t(step), "at_s": self._t(step + LATENCY_STEPS), "event": "mail",
                          "from": self.names[p], "to": name, "mailbox": mailbox_of(frame), "frame": frame.hex()})

    def _close(self, step: int, p: int, name: str) -> None:
        """Brick p drops its link with brick `name` (if any); the other end hears of it."""
        q = self.names.index(name)
        if frozenset((p, q)) in self.links:
            self.links.discard(frozenset((p, q)))
            self._put(step + LATENCY_STEPS, q, ["closed", self.names[p]])

    def switch_off(self, step: int, p: int) -> None:
        """Brick p's program ended or failed: its links drop, connecting to it fails."""
        if p not in self.off:
            for name in self.names:
                self._close(step, p, name)
            self.listening.discard(p)
            self.off.add(p)

    def due(self, step: int) -> dict:
        """{player: [event, ...]} to deliver with the observation of control step `step`."""
        now = [e for e in self.queue if e[0] <= step]
        if not now:
            return {}
        self.queue = [e for e in self.queue if e[0] > step]
        out: dict = {}
        for _due, _seq, p, event in sorted(now, key=lambda e: (e[0], e[1])):
            if p not in self.off:
                out.setdefault(p, []).append(event)
        return out

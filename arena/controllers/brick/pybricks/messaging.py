"""pybricks.messaging (EV3 MicroPython v2.0): Bluetooth mailboxes between the bricks of one match.

As pybricks builds them (bricks/ev3dev/modules/pybricks/messaging.py, pybricks-micropython before
the ev3dev port was removed): each value is encoded by its mailbox class (logic: one byte 0/1;
numeric: a little-endian float32; text: UTF-8 with a trailing NUL) and sent in an EV3 WRITEMAILBOX
frame. The arena carries the frames between bricks (arena/controllers/radio.py) with a latency of
two control periods; brick names are "ev3dev" (player 0), "ev3dev-2", ... (docs/brick.md, "Messaging").
"""

from struct import pack, unpack

from pybricks._runtime import Runtime

MAX_FRAME = 4096  # bytes per frame the arena carries (radio.MAX_FRAME; a test keeps them equal)
_ERRNO = {107: "ENOTCONN", 111: "ECONNREFUSED", 112: "EHOSTDOWN"}


def _rt():
    if Runtime.current is None:
        raise RuntimeError("the brick is not running")
    return Runtime.current


class _Adapter:
    """This brick's Bluetooth: its name, the other bricks in the world, its connections."""

    def __init__(self, rt):
        self.rt = rt
        self.name = rt.info.get("brick", "ev3dev")
        self.bricks = list(rt.info.get("bricks", [self.name]))
        self.owners = {}  # peer name -> the server or client holding that link
        self.server = None
        self.answers = {}  # brick name -> the arena's answer to our connect
        rt.radio = self.events

    def resolve(self, brick):
        if not isinstance(brick, str):
            raise TypeError("brick must be a string (the name of another brick)")
        if brick not in self.bricks or brick == self.name:
            others = [b for b in self.bricks if b != self.name]
            raise ValueError('no paired devices matching "{}" (bricks in this world: {})'.format(
                brick, ", ".join(others) or "none: this world has one robot"))
        return brick

    def request(self, *r):
        self.rt.bt_out.append(list(r))

    def events(self, events):
        for ev in events:
            kind = ev[0]
            if kind == "accept" and self.server is not None:
                self.owners[ev[1]] = self.server
                self.server._accepted.append(ev[1])
            elif kind in ("connected", "refused"):
                self.answers[ev[1]] = ev
            elif kind == "mail" and ev[1] in self.owners:
                self.owners[ev[1]]._deliver(bytes.fromhex(ev[2]))
            elif kind == "closed" and ev[1] in self.owners:
                conn = self.owners.pop(ev[1])
                if ev[1] in conn._peers:
                    conn._peers.remove(ev[1])


_adapter_of = {}


def _adapter():
    rt = _rt()
    a = _adapter_of.get(id(rt))
    if a is None or a.rt is not rt:
        a = _adapter_of[id(rt)] = _Adapter(rt)
    return a


def _frame(mbox, payload):
    """pybricks' send_to_mailbox: an EV3 WRITEMAILBOX system command, no reply."""
    name = mbox.encode() if isinstance(mbox, str) else bytes(mbox)
    if isinstance(payload, str):
        payload = payload.encode()
    if not isinstance(payload, (bytes, bytearray)):
        raise TypeError(f"a mailbox sends bytes or str; {type(payload).__name__} needs an encode function")
    mbox_len, payload_len = len(name) + 1, len(payload)
    send_len = 7 + mbox_len + payload_len
    if send_len + 2 > MAX_FRAME:
        raise ValueError(f"message of {payload_len} bytes: the simulated link carries at most {MAX_FRAME - 9 - mbox_len} per message")
    fmt = f"<HHBBB{mbox_len}sH{payload_len}s"
    return pack(fmt, send_len, 1, 0x81, 0x9E, mbox_len, name, payload_len, bytes(payload))


class _Connection:
    """pybricks' MailboxHandlerMixIn: mailboxes of raw data, sending, waiting for updates."""

    def __init__(self):
        self._mailboxes = {}
        self._updates = {}  # mailbox -> how many frames it has received
        self._peers = []  # connected brick names, in connection order

    def __enter__(self):
        return self

    def __exit__(self, type, value, traceback):
        self.close()

    def _deliver(self, frame):
        (name_size,) = unpack("<B", frame[6:7])
        mbox = frame[7:7 + name_size].decode().strip("\0")
        (data_size,) = unpack("<H", frame[7 + name_size:9 + name_size])
        self._mailboxes[mbox] = frame[9 + name_size:9 + name_size + data_size]
        self._updates[mbox] = self._updates.get(mbox, 0) + 1

    def read_from_mailbox(self, mbox):
        return self._mailboxes.get(mbox)

    def send_to_mailbox(self, brick, mbox, payload):
        data = _frame(mbox, payload)
        a = _adapter()
        if brick is None:  # to every connected brick (none connected: nothing is sent, as pybricks)
            dests = list(self._peers)
        else:
            name = a.resolve(brick)
            if name not in self._peers:
                raise OSError(107, f'ENOTCONN: not connected to "{name}" (connect() to it, or wait_for_connection(), '
                                   'first)')
            dests = [name]
        if dests:
            a.request("send", dests, data.hex())

    def wait_for_mailbox_update(self, mbox):
        seen = self._updates.get(mbox, 0)
        rt = _rt()
        while self._updates.get(mbox, 0) == seen:
            rt.tick()

    def close(self):
        a = _adapter()
        for name in self._peers:
            a.request("close", name)
            a.owners.pop(name, None)
        self._peers = []


class Mailbox:
    def __init__(self, name, connection, encode=None, decode=None):
        self.name = name
        self._connection = connection
        if encode:
            self.encode = encode
        if decode:
            self.decode = decode

    def encode(self, value):
        return value

    def decode(self, payload):
        return payload

    def read(self):
        """The last value received (decoded), or None if nothing has arrived yet."""
        data = self._connection.read_from_mailbox(self.name)
        if data is None:
            return None
        return self.decode(data)

    def send(self, value, brick=None):
        """Send value to the mailboxes of this name on brick (a name) or on every connected brick."""
        self._connection.send_to_mailbox(brick, self.name, self.encode(value))

    def wait(self):
        """Wait until this mailbox receives a message (the same value again counts)."""
        self._connection.wait_for_mailbox_update(self.name)

    def wait_new(self):
        """Wait for a value different from the current one, and return it."""
        old = self.read()
        while True:
            self.wait()
            new = self.read()
            if new != old:
                return new


class LogicMailbox(Mailbox):
    def encode(self, value):
        return b"\x01" if value else b"\x00"

    def decode(self, payload):
        return bool(payload[0])


class NumericMailbox(Mailbox):
    def encode(self, value):
        return pack("<f", value)

    def decode(self, payload):
        return unpack("<f", payload)[0]


class TextMailbox(Mailbox):
    def encode(self, value):
        return f"{value}\0"

    def decode(self, payload):
        return payload.decode().strip("\0")


class BluetoothMailboxServer(_Connection):
    """Listens from the moment it is made (pybricks binds and listens in its constructor)."""

    def __init__(self):
        super().__init__()
        a = _adapter()
        if a.server is not None:
            raise OSError(98, "EADDRINUSE: this brick already has a BluetoothMailboxServer")
        a.server = self
        self._accepted = []  # clients whose connection has reached this brick
        self._handled = 0
        a.request("listen")

    def wait_for_connection(self, count=1):
        """Wait until `count` more clients have connected."""
        need = self._handled + count
        rt = _rt()
        while len(self._accepted) < need:
            rt.tick()
        for name in self._accepted[self._handled:need]:
            self._peers.append(name)
        self._handled = need

    def server_close(self):
        self.close()


class BluetoothMailboxClient(_Connection):
    def connect(self, brick):
        """Connect to the BluetoothMailboxServer of the brick named `brick`.

        ValueError: no brick of that name in this world (pybricks: not a paired device) or
        already connected; OSError: that brick has no server waiting or its program has ended."""
        a = _adapter()
        name = a.resolve(brick)
        if name in self._peers:
            raise ValueError("connection with this address already exists")
        a.answers.pop(name, None)
        a.request("connect", name)
        rt = _rt()
        while name not in a.answers:
            rt.tick()
        answer = a.answers.pop(name)
        if answer[0] == "refused":
            errno = int(answer[2])
            raise OSError(errno, '{}: cannot connect to brick "{}": {} (start the server program first)'.format(
                _ERRNO.get(errno, "EIO"), name, answer[3]))
        self._peers.append(name)
        a.owners[name] = self

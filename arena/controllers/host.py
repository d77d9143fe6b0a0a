"""The controller's side of the protocol: runs inside the sandboxed child process, never in the
arena's. Standard library only at import time (the controller may import numpy itself).

It loads one agent (a .py file or a folder with controller.py defining `class Controller`),
then answers JSON lines on stdin/stdout: init -> ready, reset -> ok, act -> action. Anything the
controller prints goes to stderr, so it cannot corrupt the protocol.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BRICK_DIR = os.path.join(HERE, "brick")


def brick_program(agent: str) -> str | None:
    """The path of a brick program (a folder with main.py, or a .py file that imports pybricks
    and defines no Controller class), or None for a controller class."""
    if os.path.isdir(agent):
        main = os.path.join(agent, "main.py")
        return main if os.path.isfile(main) and not os.path.isfile(os.path.join(agent, "controller.py")) else None
    with open(agent, encoding="utf-8", errors="replace") as f:
        src = f.read()
    if "pybricks" in src and "class Controller" not in src:
        return agent
    return None


def _load(agent: str):
    path = agent if agent.endswith(".py") else os.path.join(agent, "controller.py")
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # helpers beside controller.py import as usual
    spec = importlib.util.spec_from_file_location("controller", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["controller"] = module
    spec.loader.exec_module(module)
    cls = getattr(module, "Controller", None)
    if cls is None:
        raise AttributeError(f"{os.path.basename(path)} defines no `class Controller`")
    return cls()


def json_encoder(default=None, allow_nan: bool = True):
    """obj -> compact JSON text: what json.JSONEncoder(separators=(",", ":"), allow_nan=allow_nan,
    default=default).encode(obj) returns (the same text, the same errors), without building a new
    C encoder for every message as encode() does (a few us per message on a hot path)."""
    ref = json.JSONEncoder(separators=(",", ":"), allow_nan=allow_nan, default=default)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the reference path
        return ref.encode
    markers: dict = {}  # circular references are still detected, as by encode()
    c_encode = make(markers, ref.default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False,
                    allow_nan)
    join = "".join

    def encode(obj) -> str:
        try:
            return join(c_encode(obj, 0))
        except BaseException:
            markers.clear()  # a failed encode may leave its open containers marked
            raise

    return encode


def json_decoder(decoder: json.JSONDecoder | None = None):
    """str -> object: what decoder.decode(text) returns (the same objects, the same errors), through
    the C scanner directly when the text is one JSON value, optionally followed by one newline, which
    skips decode()'s two whitespace regex matches."""
    decoder = decoder or json.JSONDecoder()
    scan, slow = decoder.scan_once, decoder.decode

    def decode(text: str):
        try:
            obj, end = scan(text, 0)
        except Exception:  # noqa: BLE001 - decode() raises the real error (or accepts leading whitespace)
            return slow(text)
        if end == len(text) or (end == len(text) - 1 and text[end] == "\n"):
            return obj
        return slow(text)  # trailing whitespace, or extra data (the error)

    return decode


class SpinPolicy:
    """Whether to poll for the peer's next line before sleeping in the kernel, learned per channel.

    Polling (yielding the core on every empty read) saves the wake-up of a sleeping process on
    another core, WAKE_S, but only when the line arrives within the poll window; otherwise the
    window's CPU is wasted, and on a busy machine each yield hands the core to another process.
    So it polls only while that pays: the window is a few times the recent typical wait, and it
    polls while the share of waits that ended within it (``hit``, both ways) makes the expected
    saving beat the expected waste. Used on both sides of the channel (this host and
    arena.controllers.sandbox.channel); standard library only, a few float operations per wait.
    """

    WAKE_S = 50e-6  # a sleeping process on another core takes about this long to wake
    MIN_S, MAX_S = 50e-6, 0.002  # the poll window's bounds
    RATE = 1 / 8  # how fast the running averages follow the latest wait

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.hit = 1.0  # share of recent waits that ended within the window
        self.typical = self.MIN_S  # running mean of recent waits (each clipped to MAX_S)
        self.spins = self.waits = 0

    def window(self) -> float:
        """Seconds to poll for the next wait (0.0: go straight to a kernel wait)."""
        if not self.enabled:
            return 0.0
        w = min(max(3.0 * self.typical, self.MIN_S), self.MAX_S)
        return w if self.hit * self.WAKE_S > (1.0 - self.hit) * w else 0.0

    def record(self, waited: float) -> None:
        """Learn from one wait that lasted `waited` seconds (polled or slept, from its start)."""
        self.waits += 1
        w = min(max(3.0 * self.typical, self.MIN_S), self.MAX_S)
        self.hit += ((waited <= w) - self.hit) * self.RATE
        self.typical += (min(waited, self.MAX_S) - self.typical) * self.RATE

    def poll(self, probe, clock, start: float, deadline: float | None = None):
        """While polling pays: call `probe()` over the window, yielding the core between calls,
        and give its first result that is not None (learning the wait from `start`, a time on
        `clock`); None when the window, or the deadline, ends first (the caller then sleeps).
        Both channels poll through this: the pipes (read) and the lane (arena.controllers.lane)."""
        window = self.window()
        if not window:
            return None
        self.spins += 1
        end = start + window if deadline is None else min(deadline, start + window)
        while clock() < end:
            os.sched_yield()
            got = probe()
            if got is not None:
                self.record(clock() - start)
                return got
        return None

    def read(self, fd: int, clock, deadline: float | None = None) -> bytes | None:
        """The next chunk from a non-blocking fd (b"" at EOF): polled for while polling pays,
        else (and after the window) waited for in select(); None once `deadline` (a time on
        `clock`) has passed. Both sides of the channel read through this."""
        try:  # already there: no wait to learn from
            return os.read(fd, 1 << 16)
        except BlockingIOError:
            pass
        start = clock()
        chunk = self.poll(lambda: _read_now(fd), clock, start, deadline)
        if chunk is not None:
            return chunk
        while True:
            left = None if deadline is None else deadline - clock()
            if left is not None and left <= 0:
                return None
            if select.select([fd], [], [], left)[0]:
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:  # readable, then not (a spurious wake-up)
                    continue
                self.record(clock() - start)
                return chunk


def _read_now(fd: int) -> bytes | None:
    """What a non-blocking fd holds now (b"" at EOF), or None when it is empty."""
    try:
        return os.read(fd, 1 << 16)
    except BlockingIOError:
        return None


class LineReader:
    """Protocol lines (bytes, newline kept; b"" at end of input) from the arena's pipe.

    With spin=True (the arena gave this process a core of its own) a SpinPolicy decides, wait by
    wait, whether to poll for the next observation before sleeping in select(); with spin=False
    it sleeps in a blocking read at once.
    """

    def __init__(self, fd: int, spin: bool = False):
        self.fd, self.buf = fd, bytearray()
        self.set_spin(spin)

    def set_spin(self, spin: bool) -> None:
        self.spin = spin
        self.policy = SpinPolicy(spin)
        os.set_blocking(self.fd, not spin)

    def readline(self) -> bytes:
        if not self.buf:  # the usual case: one read brings exactly one whole line
            chunk = self._read()
            if chunk.find(b"\n") == len(chunk) - 1:
                return chunk  # one line (or b"" at end of input)
            self.buf += chunk
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[: i + 1])
                del self.buf[: i + 1]
                return line
            chunk = self._read()
            if not chunk:
                line, self.buf = bytes(self.buf), bytearray()
                return line
            self.buf += chunk

    def _read(self) -> bytes:
        if not self.spin:
            return os.read(self.fd, 1 << 16)
        return self.policy.read(self.fd, time.perf_counter)


def _plain(o):
    """numpy scalars and arrays become plain numbers and lists; anything else is sent as text
    and the arena reports it as an invalid action."""
    if hasattr(o, "tolist"):
        return o.tolist()
    return repr(o)


def _fail(out, where: str, exc: BaseException) -> None:
    import traceback  # here, not at the top: most runs never fail, and it costs ~5 ms of each start

    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    # keep the controller's own frames: the host's are noise to its author
    msg = f"{type(exc).__name__}: {exc}"
    reply = {"type": "error", "where": where, "message": msg, "trace": "".join(tb[-6:])}
    if type(exc).__name__ == "PortError":  # the brick's: a device on a port the robot lacks (INVALID)
        reply.update(where="port", port=getattr(exc, "port", "?"), device=getattr(exc, "device", "?"), message=str(exc))
    out.write(json.dumps(reply) + "\n")
    out.flush()


def main() -> int:
    proto_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the controller's print() lands on stderr, which the arena captures
    sys.stdout = sys.stderr
    proto_in = LineReader(sys.stdin.fileno())
    controller = None
    program = None
    presses: list = []
    info: dict = {}
    keys: list = []
    lane = None
    while line := proto_in.readline():
        msg = json.loads(line)
        kind = msg.get("type")
        if kind == "init":
            proto_in.set_spin(msg.get("spin") is True)
            lane = _open_lane(msg.get("lane"))
        if kind == "init" and brick_program(msg["agent"]):
            program = brick_program(msg["agent"])
            try:
                with open(program, encoding="utf-8") as f:
                    code = compile(f.read(), program, "exec")
            except BaseException as exc:  # noqa: BLE001 - a syntax error is the author's to fix
                _fail(proto_out, "import", exc)
                return 1
            proto_out.write('{"type": "ready", "brick": true}\n')
        elif kind == "act" and program is not None:
            return _run_program(code, program, msg, proto_in, proto_out, presses, info)
        elif kind == "init":
            try:
                controller = _load(msg["agent"])
            except BaseException as exc:  # noqa: BLE001 - report every failure to the arena
                _fail(proto_out, "import", exc)
                return 1
            proto_out.write('{"type": "ready", "lane": true}\n' if lane else '{"type": "ready"}\n')
        elif kind == "reset" and program is not None:
            info = msg.get("info", {})
            presses = info.get("presses", [])  # scripted button presses
            proto_out.write('{"type": "ok"}\n')
        elif kind == "reset":
            keys = msg.get("keys", [])
            try:
                if hasattr(controller, "reset"):
                    controller.reset(msg.get("seed"), msg.get("info", {}))
            except BaseException as exc:  # noqa: BLE001
                _fail(proto_out, "reset", exc)
                return 1
            proto_out.write('{"type": "ok"}\n')
            if lane is not None and type(msg.get("shape")) is list:
                proto_out.flush()
                return _lane_loop(controller, keys, msg["shape"], lane, proto_in, proto_out)
        elif kind == "act":
            return _act_loop(controller, keys, msg, proto_in, proto_out)
        elif kind == "close":
            return 0
        proto_out.flush()
    return 0


def _act_loop(controller, keys: list, first: dict, proto_in, proto_out) -> int:
    """The hot loop: one observation in (values in the order of `keys`), one action out, as few
    Python steps as possible: the C scanner and encoder called directly, one write per reply."""
    act, loads, decode = controller.act, json.loads, json_decoder()
    encode = json_encoder(default=_plain)
    proto_out.flush()  # nothing may wait in the text layer: replies go straight to its fd
    fd, write = proto_out.fileno(), os.write
    msg = first
    while True:
        kind = msg.get("type")
        if kind == "act":
            try:
                obs = dict(zip(keys, msg["v"], strict=True)) if "v" in msg else msg["obs"]
                data = b'{"type":"action","action":' + encode(act(obs)).encode() + b"}\n"
            except BaseException as exc:  # noqa: BLE001 - report every failure to the arena
                _fail(proto_out, "act", exc)
                return 1
            while data:  # a pipe takes a short line whole; a signal may still split a write
                data = data[write(fd, data):]
        elif kind == "close":
            return 0
        line = proto_in.readline()
        if not line:
            return 0
        # the arena sends ASCII (ensure_ascii): what json.loads(line) gives, without its encoding sniffing
        msg = decode(line.decode("ascii")) if line.isascii() else loads(line)


def _open_lane(fd):
    """The arena's shared page (init's "lane": its fd number) as a lane.Lane, or None: no lane
    offered, or it cannot be mapped here (the arena then keeps to the pipes). lane.py is loaded by
    its path: this folder is not on the controller's import path, and must not be."""
    if type(fd) is not int:
        return None
    try:
        spec = importlib.util.spec_from_file_location("_arena_lane", os.path.join(HERE, "lane.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.Lane(fd)
    except (OSError, ValueError, ImportError):
        return None


def _lane_loop(controller, keys: list, shape: list, lane, proto_in, proto_out) -> int:
    """The hot loop over the lane: wait for step `want`'s observation frame, answer with the action
    as a JSON frame. `shape` (from reset): per key, 0 for a number or n for a list of n numbers,
    how a FLOATS frame's values regroup (lists from the last, so earlier positions stay put)."""
    import struct

    act, encode = controller.act, json_encoder(default=_plain)
    unpack = struct.Struct(f"<{sum(n or 1 for n in shape)}d").unpack_from
    lists, at = [], 0
    for n in shape:
        if n:
            lists.append((at, at + n))
        at += n or 1
    lists.reverse()
    m, in_fd, out_fd = lane.map, proto_in.fd, proto_out.fileno()
    os.set_blocking(in_fd, False)  # the lane's wait polls it, then sleeps in select
    policy, clock, want = proto_in.policy, time.perf_counter, 1
    while True:
        if lane.wait(lane.OBS_SEQ, want, lane.CONTROLLER_WAITS, in_fd, policy, clock) is not True:
            return 0  # the arena wrote to the pipe (nothing but doorbells is expected) or closed it
        try:
            if lane.head.unpack_from(m, lane.OBS)[1] == lane.FLOATS:
                v = list(unpack(m, lane.OBS + 8))
                for a, b in lists:
                    v[a:b] = [v[a:b]]
            else:  # an observation that did not fit the shape: its act line
                v = json.loads(lane.frame(lane.OBS)[1])["v"]
            data = encode(act(dict(zip(keys, v, strict=True)))).encode()
        except BaseException as exc:  # noqa: BLE001 - report every failure to the arena
            _fail(proto_out, "act", exc)
            return 1
        if len(data) <= lane.CAP:
            lane.put(lane.ACT_SEQ, lane.ACT, lane.JSON, data, want)
            lane.ring(lane.ARENA_WAITS, out_fd)
        else:  # too big for a frame: the pipe, where the arena's line limit applies
            data = b'{"type":"action","action":' + data + b"}\n"
            while data:
                data = data[os.write(out_fd, data):]
        want = (want + 1) & 0xFFFFFFFF


def _run_program(code, path: str, first: dict, proto_in, proto_out, presses: list, info: dict) -> int:
    """Run a brick program top to bottom on the virtual brick (see brick/pybricks/_runtime.py)."""
    sys.path.insert(0, BRICK_DIR)  # `import pybricks` finds the simulated brick, in this process only
    sys.path.insert(1, os.path.dirname(os.path.abspath(path)))
    from pybricks._runtime import ProgramEnded, Runtime

    rt = Runtime(proto_in, proto_out, first, presses, info)
    try:
        exec(code, {"__name__": "__main__", "__file__": path})
    except ProgramEnded:
        return 0
    except BaseException as exc:  # noqa: BLE001 - the program's error goes to the arena
        _fail(proto_out, "act", exc)
        return 1
    rt.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())

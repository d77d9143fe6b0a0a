"""Sandbox: a controller process and the JSON-lines channel to it, which is most of what the class does."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import threading
import time
from pathlib import Path

from arena.controllers.host import SpinPolicy, json_decoder, json_encoder
from arena.controllers.lane import FLOOD
from arena.controllers.sandbox.isolation import HostSetup, _safe_name, bwrap_usable
from arena.controllers.sandbox.limits import _SIGNAL_HINTS, Limits, SandboxError, preexec_fn
from arena.controllers.sandbox.process import kill_tree, tree_cpu_seconds
from arena.controllers.sandbox.shared import lane_supported, new_lane


def _escape(text: str) -> str:
    """Make captured output safe to print: no terminal escapes, no control or bidi characters."""
    out = []
    for c in text:
        if c in "\n\t" or c.isprintable():
            out.append(c)
        else:
            out.append(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
    return "".join(out)


class Sandbox:
    """One controller process. ``start()``, then ``request()`` per step, ``close()`` at the end.

    Any SandboxError kills the controller; later calls raise the same error again.
    JSON is strict both ways (no NaN/Infinity); replies must be JSON objects.
    """

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
        lane: bool = False,
    ):
        """cpu: run the controller on this CPU only; spin: poll for replies before sleeping while
        polling pays (arena.controllers.host.SpinPolicy; for a controller on another core, see
        arena.controllers.placement); lane: hand the child a shared page (arena.controllers.lane)
        where this machine supports one (then ``lane_fd`` is its fd number in the child, to tell it;
        else None), for send_floats / send_text / recv_frame."""
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
        self.policy = SpinPolicy(spin)
        self.bank_left = float(limits.bank_s)
        self.features: dict[str, object] = {"isolation": self.isolation}
        self.failure: SandboxError | None = None
        self._setup = HostSetup(self.isolation, limits, self.features)
        self._proc: subprocess.Popen | None = None
        self._buf = bytearray()
        self._scanned = 0
        self._sent_at: float | None = None
        self._err = bytearray()
        self._err_dropped = 0
        self._drain: threading.Thread | None = None
        self._closed = False
        self.lane = self.lane_fd = self._lane_fd_open = None
        self._want_lane = lane
        self._step = 0  # the lane's step number

    # -- lifecycle

    def start(self) -> None:
        if self._proc is not None or self._closed:
            raise RuntimeError("a Sandbox is started once")
        try:
            argv, env, cwd = self._setup.command(self.argv, self.readonly, self.workdir_files, self.extra_env)
            self._setup.make_cgroups()
            preexec = preexec_fn(self.limits, uid=self._setup.uid, cgroups=self._setup.cgroups, cpu=self.cpu,
                                 rlimit_mode=self.isolation == "rlimit")  # fmt: skip
            if self._want_lane and lane_supported()[0]:  # made here, so a sandbox never started holds none
                try:
                    self.lane, self.lane_fd = new_lane()
                except OSError:  # no memfd to spare (its fd limit): the steps keep to the pipes
                    pass
                else:
                    self._lane_fd_open = self.lane_fd
                    self.features["lane"] = True
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=cwd, env=env, start_new_session=True, preexec_fn=preexec, bufsize=0,
                pass_fds=() if self.lane_fd is None else (self.lane_fd,),
            )  # fmt: skip
        except SandboxError as e:
            self._fail(e.status, e.reason)
        except OSError as e:
            self._fail("ERROR", f"controller could not be started: {e}")
        finally:
            self._close_lane_fd()  # the child has its copy; the page stays mapped here
        self._setup.check_cgroups(self._proc.pid)
        self.features["pid"] = self._proc.pid
        self._lane_in, self._lane_out = self._proc.stdin.fileno(), self._proc.stdout.fileno()  # per step, once
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
            kill_tree(self._proc, self._setup.uid, self._setup.cg_kill)
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
        self._close_lane_fd()  # never started: not handed on
        if self.lane is not None:
            self.lane.close()
        self._setup.cleanup()

    def __enter__(self) -> Sandbox:
        if self._proc is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def cpu_seconds(self) -> float:
        """CPU seconds the controller's processes have used so far (0.0 once closed)."""
        if self._proc is None or self._closed:
            return 0.0
        return tree_cpu_seconds(self._proc.pid, self._setup.uid)

    @property
    def procs_limited(self) -> bool:
        """True when a fork bomb is contained (a pids cgroup, or RLIMIT_NPROC for a non-root uid)."""
        return bool(self.features.get("pids_max") or self.features.get("nproc"))

    @property
    def _uid(self) -> int | None:  # the rlimit mode's dedicated uid; tests check its files are gone
        return self._setup.uid

    @property
    def _tmp(self) -> str | None:  # the rlimit mode's working directory; tests check it is gone
        return self._setup.tmp

    # -- protocol

    def send(self, msg: dict) -> None:
        self.send_line((_encode(msg) + "\n").encode())

    def send_line(self, data: bytes) -> None:
        """Send one protocol line already encoded (JSON, ending in a newline): one write."""
        self._check_usable()
        fd = self._proc.stdin.fileno()
        try:  # nearly always the whole line fits in the pipe at once
            n = os.write(fd, data)
        except BlockingIOError:
            n = 0
        except OSError:
            self._fail("ERROR", self._exit_reason(wait_s=1.0))
        if n < len(data):
            self._write_rest(fd, memoryview(data)[n:])
        self._sent_at = time.monotonic()

    def _write_rest(self, fd: int, view: memoryview) -> None:
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

    def recv(self, deadline_s: float | None = None) -> dict:
        """One reply. Deadline: step_s plus what is left of the bank, or ``deadline_s`` (no bank),
        counted from the last send()."""
        self._check_usable()
        start, budget, banked = self._budget(deadline_s)
        line = self._read_line(start + budget)
        if line is None:
            self._timeout(banked, deadline_s)
        self._charge(start, banked)
        return self._parse(line)

    # -- protocol over the lane (arena.controllers.lane; a controller class's steps)

    def send_floats(self, fmt, values) -> None:
        """The next step's observation as a FLOATS frame (`values` packed by the struct `fmt`)."""
        self._check_usable()
        lane, self._step = self.lane, (self._step + 1) & 0xFFFFFFFF
        lane.put_floats(lane.OBS_SEQ, lane.OBS, fmt, values, self._step)
        lane.ring(lane.CONTROLLER_WAITS, self._lane_in)
        self._sent_at = time.monotonic()

    def send_text(self, data: bytes) -> None:
        """The next step's observation as a JSON frame (its act line)."""
        self._check_usable()
        if len(data) > self.lane.CAP:  # the arena's own observation: a robot far beyond any kit's
            raise ValueError(f"an observation of {len(data)} bytes does not fit the lane ({self.lane.CAP})")
        lane, self._step = self.lane, (self._step + 1) & 0xFFFFFFFF
        lane.put(lane.OBS_SEQ, lane.OBS, lane.JSON, data, self._step)
        lane.ring(lane.CONTROLLER_WAITS, self._lane_in)
        self._sent_at = time.monotonic()

    def recv_frame(self) -> tuple[bool, object]:
        """The reply to the last frame, within the same deadline as recv(): (True, the action as
        decoded JSON) from the lane, or (False, a reply object) that came over the pipe instead
        (an error, or an action too big for a frame)."""
        self._check_usable()
        start, budget, banked = self._budget(None)
        lane = self.lane
        got = lane.wait(lane.ACT_SEQ, self._step, lane.ARENA_WAITS, self._lane_out, self.policy, time.monotonic,
                        start + budget)
        if got is None:
            self._timeout(banked, None)
        if got is True:
            self._charge(start, banked)
            try:
                kind, payload = lane.frame(lane.ACT)
                if kind != lane.JSON:
                    raise ValueError(f"a lane frame of kind {kind}")
                return True, _decode(payload.decode("utf-8"))
            except (ValueError, RecursionError) as e:  # a UnicodeDecodeError is a ValueError
                self._fail("INVALID", f"reply is not valid JSON ({str(e)[:120]})")
        if not got:
            self._fail("ERROR", self._exit_reason(wait_s=1.0, eof=True))
        if got is FLOOD:
            self._fail("INVALID", f"wrote more than {lane.MAX_DOORBELLS} blank lines to its output in one step")
        self._buf += got  # a line on the pipe: read the rest of it as recv() would
        line = self._read_line(start + budget)
        if line is None:
            self._timeout(banked, None)
        self._charge(start, banked)
        return False, self._parse(line)

    # -- internals: deadlines

    def _budget(self, deadline_s: float | None) -> tuple[float, float, bool]:
        """(when the wait started: the last send, its budget in s, whether the bank pays for it)."""
        start = self._sent_at if self._sent_at is not None else time.monotonic()
        self._sent_at = None
        banked = deadline_s is None
        return start, (self.limits.step_s + self.bank_left if banked else deadline_s), banked

    def _timeout(self, banked: bool, deadline_s: float | None):
        if banked:
            self.bank_left = 0.0
            reason = f"no reply within {self.limits.step_s} s and used up its {self.limits.bank_s} s time bank"
        else:
            reason = f"no reply within {deadline_s} s"
        self._fail("TIMEOUT", reason)

    def _charge(self, start: float, banked: bool) -> None:
        """Take a reply's time beyond step_s from the bank."""
        if banked:
            overrun = time.monotonic() - start - self.limits.step_s
            if overrun > 0:
                self.bank_left = max(0.0, self.bank_left - overrun)

    def _parse(self, line: bytes) -> dict:
        try:
            reply = _decode(line.decode("utf-8"))
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
        if not self._buf:  # the usual case: one read brings exactly one whole line
            chunk = self._poll(fd, deadline)
            if chunk is None:
                return None
            if not chunk:
                self._fail("ERROR", self._exit_reason(wait_s=1.0, eof=True))
            if chunk.find(b"\n") == len(chunk) - 1:
                if len(chunk) - 1 > cap:
                    self._fail("INVALID", f"sent a line longer than {cap} bytes")
                return chunk[:-1]
            self._buf += chunk
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

    def _poll(self, fd: int, deadline: float) -> bytes | None:
        """The next chunk from the child's stdout (b"" at EOF), or None past the deadline. In spin
        mode the channel's SpinPolicy decides whether to poll first (yielding the core each time):
        a reply from a controller on another core then costs no wake-up, as long as replies keep
        coming within the poll window; otherwise it sleeps in select() at once."""
        return self.policy.read(fd, time.monotonic, deadline)

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

    def _close_lane_fd(self) -> None:
        fd, self._lane_fd_open = self._lane_fd_open, None
        if fd is not None:
            os.close(fd)

    def _fail(self, status: str, reason: str):
        self.failure = SandboxError(status, reason)
        self.close()
        raise self.failure


def _reject_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")


# strict JSON both ways, built once (json.dumps/loads with options build a new coder per call)
_encode = json_encoder(allow_nan=False)  # compact; no NaN/Infinity: a ValueError
_decode = json_decoder(json.JSONDecoder(parse_constant=_reject_constant))

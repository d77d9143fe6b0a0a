"""Running untrusted code in a separate, limited process (layer 7; standard library only).

Weaker "rlimit" isolation: its own session, resource limits (address space, CPU, file size,
open files, processes), a private temporary working directory, an empty environment, and
deadlines enforced from the arena side with poll(), so a child stuck in a C call cannot hang
the arena. The whole process group is killed at close.
"""

from __future__ import annotations

import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    init_s: float = 10.0  # wall-clock for the first reply (import + construct)
    step_s: float = 0.05  # per-message deadline ...
    bank_s: float = 10.0  # ... plus a time bank that overruns drain
    memory_mb: int = 1024  # address space (RLIMIT_AS)
    cpu_s: int = 600  # total CPU seconds (RLIMIT_CPU)
    output_bytes: int = 65536  # captured stderr kept; the rest is drained and counted
    nofile: int = 64
    max_line_bytes: int = 1_000_000


class SandboxError(Exception):
    def __init__(self, status: str, reason: str):
        super().__init__(f"{status}: {reason}")
        self.status, self.reason = status, reason


_ESC = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def escape(text: str) -> str:
    """Control characters and terminal escapes shown as \\xNN so output is safe to print."""
    return _ESC.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class Sandbox:
    def __init__(self, argv: list[str], *, readonly: list[Path] = (), limits: Limits = Limits(),
                 isolation: str = "auto", env: dict[str, str] | None = None):
        self.argv, self.readonly, self.limits = list(argv), list(readonly), limits
        self.isolation = "rlimit"
        self.env = dict(env or {})
        self.bank_left = limits.bank_s
        self.proc: subprocess.Popen | None = None
        self._err = bytearray()
        self._err_total = 0
        self._buf = b""
        self._started = False

    def _preexec(self) -> None:
        lim = self.limits
        mem = lim.memory_mb * 1024 * 1024
        for res, val in ((resource.RLIMIT_AS, mem), (resource.RLIMIT_CPU, lim.cpu_s),
                         (resource.RLIMIT_FSIZE, 64 * 1024 * 1024), (resource.RLIMIT_NOFILE, lim.nofile),
                         (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(res, (val, val))
        os.nice(5)

    def start(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="arena-sandbox-")
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmp, "TMPDIR": self.tmp, "PYTHONDONTWRITEBYTECODE": "1",
               "LANG": "C.UTF-8", **self.env}
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     cwd=self.tmp, env=env, preexec_fn=self._preexec, start_new_session=True)
        self._drain = threading.Thread(target=self._drain_stderr, daemon=True)
        self._drain.start()
        self._started = True

    def _drain_stderr(self) -> None:
        f = self.proc.stderr
        while True:
            chunk = f.read1(65536) if hasattr(f, "read1") else f.read(65536)
            if not chunk:
                return
            self._err_total += len(chunk)
            room = self.limits.output_bytes - len(self._err)
            if room > 0:
                self._err += chunk[:room]

    def send(self, msg: dict) -> None:
        try:
            self.proc.stdin.write(json.dumps(msg).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise SandboxError("ERROR", self._exit_reason()) from None

    def _exit_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return "controller closed its output"
        if code < 0:
            name = signal.Signals(-code).name
            hint = {"SIGKILL": " (memory or CPU limit?)", "SIGXCPU": " (CPU time limit)", "SIGSEGV": " (crashed)"}
            return f"controller was killed by {name}{hint.get(name, '')}"
        return f"controller exited with code {code}"

    def recv(self, deadline_s: float | None = None) -> dict:
        budget = deadline_s if deadline_s is not None else self.limits.step_s + self.bank_left
        t0 = time.monotonic()
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = budget - (time.monotonic() - t0)
            if left <= 0:
                self.close()
                if deadline_s is None:
                    raise SandboxError("TIMEOUT", f"no reply within {self.limits.step_s} s per step and "
                                                  f"used up its {self.limits.bank_s} s time bank")
                raise SandboxError("TIMEOUT", f"no reply within {deadline_s} s")
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise SandboxError("ERROR", self._exit_reason())
            self._buf += chunk
            if len(self._buf) > self.limits.max_line_bytes and b"\n" not in self._buf:
                raise SandboxError("INVALID", f"sent a line longer than {self.limits.max_line_bytes} bytes")
        line, self._buf = self._buf.split(b"\n", 1)
        if deadline_s is None:
            over = time.monotonic() - t0 - self.limits.step_s
            if over > 0:
                self.bank_left -= over
        if len(line) > self.limits.max_line_bytes:
            raise SandboxError("INVALID", f"sent a line longer than {self.limits.max_line_bytes} bytes")
        try:
            return json.loads(line)  # NaN/Infinity parse; the caller's validation names them
        except (ValueError, UnicodeDecodeError) as exc:
            raise SandboxError("INVALID", f"sent something that is not a JSON line ({exc})"[:300]) from None

    def request(self, msg: dict, *, first: bool = False) -> dict:
        self.send(msg)
        return self.recv(self.limits.init_s if first else None)

    def output(self) -> str:
        text = self._err.decode("utf-8", errors="replace")
        extra = self._err_total - len(self._err)
        if extra > 0:
            text += f"\n[... {extra} more bytes of output dropped]"
        return escape(text)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._drain.join(timeout=2)
            for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                try:
                    f.close()
                except OSError:
                    pass
        if self._started:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self._started = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

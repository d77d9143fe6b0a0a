"""The brick inside the controller's process: virtual time and the protocol for brick programs.

Standard library only. A brick program runs top to bottom as on the real brick; whenever it
waits (wait(), a blocking motor command, or a loop that reads the same sensor again within one
control period), the runtime sends the motor commands of this period as the action and blocks
until the arena answers with the next observation. So time is virtual: a 3-minute program runs
as fast as the physics does, and it behaves the same at any speed.
"""

from __future__ import annotations

import json


class ProgramEnded(BaseException):
    """Raised inside the program when the arena ends the episode (not an Exception, so a
    program's `except Exception` cannot swallow it)."""


class Runtime:
    current: Runtime | None = None

    def __init__(self, proto_in, proto_out, first: dict):
        self.inp, self.out = proto_in, proto_out
        self.pending: dict = {}  # port -> command for this control period
        self.read_keys: set = set()
        self._update(first)
        Runtime.current = self

    # -- what the program sees ------------------------------------------------------------------
    def _update(self, msg: dict) -> None:
        self.time_ms = float(msg.get("t", 0))
        self.obs = msg.get("obs", {})
        self.motors = msg.get("motors", {})
        self.read_keys = set()

    def read(self, key: str):
        """A sensor value; reading the same one twice in one period lets a period pass first,
        like a real loop that spends time between reads."""
        if key in self.read_keys:
            self.tick()
        self.read_keys.add(key)
        if key not in self.obs:
            raise OSError(f"no device gives {key!r} on this robot (ports follow the robot's build file)")
        return self.obs[key]

    def peek(self, key: str, default=None):
        return self.obs.get(key, default)

    def motor_state(self, port: str) -> dict:
        return self.motors.get(port, {})

    def command(self, port: str, cmd) -> None:
        self.pending[port] = cmd

    # -- time ----------------------------------------------------------------------------------
    def tick(self) -> None:
        """Send this period's commands, block until the next observation."""
        self.out.write(json.dumps({"type": "action", "action": self.pending}) + "\n")
        self.out.flush()
        # commands persist on the brick; only send changes next time
        self.pending = {}
        while True:
            line = self.inp.readline()
            if not line:
                raise ProgramEnded()
            msg = json.loads(line)
            kind = msg.get("type")
            if kind == "act":
                self._update(msg)
                return
            if kind == "close":
                raise ProgramEnded()

    def wait_ms(self, ms: float) -> None:
        end = self.time_ms + max(0.0, float(ms))
        self.tick()  # at least one period passes, as on the brick
        while self.time_ms + 1e-6 < end:
            self.tick()

    def finish(self) -> None:
        """The program returned: the brick stops its motors and idles until the run ends."""
        self.pending = {p: {"stop": "coast"} for p in "ABCD" if f"{p}/angle" in self.obs}
        try:
            while True:
                self.tick()
        except ProgramEnded:
            return

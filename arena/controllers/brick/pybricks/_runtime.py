"""The brick inside the controller's process: virtual time and the protocol for brick programs.

Standard library only. A brick program runs top to bottom as on the real brick; whenever it
waits (wait(), a blocking motor command, or a loop that reads the same sensor again within one
control period), the runtime sends the motor commands of this period as the action and blocks
until the arena answers with the next observation. So time is virtual: a 3-minute program runs
as fast as the physics does, and it behaves the same at any speed.
"""

from __future__ import annotations

import json
import sys

# the arena's motor command keys (arena.kit.motors.Motor.MOVES, arena.kit.control.SETTING_KEYS:
# repeated here because this process may import nothing from the arena; a test keeps them equal)
MOVES = ("dc", "stop", "track", "run", "target", "by")
SETTING_KEYS = ("max_speed", "max_acc", "max_duty", "kp", "ki", "kd", "i_range", "i_rate", "offset",
                "tol_speed", "tol_angle", "stall_speed", "stall_time")


# what each observation key says is on a port (for PortError's message)
_KEY_DEVICE = {"angle": "motor", "reflection": "colour or light sensor", "distance": "ultrasonic sensor",
               "pressed": "touch sensor", "rate": "gyro sensor"}


class PortError(OSError):
    """A device asked for on a port the robot lacks: the arena stops the run as INVALID, naming
    the port, the device and the bundled robots that have it (pybricks raises ENODEV)."""

    def __init__(self, port, device: str, obs: dict):
        self.port, self.device = str(port), device
        there = sorted({_KEY_DEVICE.get(k.split("/", 1)[1], "device") for k in obs if k.split("/", 1)[0] == port})
        found = f"it has a {' and a '.join(there)} there" if there else "it has nothing there"
        super().__init__(19, f"ENODEV: this robot has no {device} on port {port}; {found}")


class ProgramEnded(BaseException):
    """Raised inside the program when the arena ends the episode (not an Exception, so a
    program's `except Exception` cannot swallow it)."""


class Runtime:
    current: Runtime | None = None

    def __init__(self, proto_in, proto_out, first: dict, presses=(), info=None):
        self.inp, self.out = proto_in, proto_out
        self.presses = [(str(b), float(t0) * 1000.0, float(t1) * 1000.0) for b, t0, t1 in presses]
        self.info = info or {}  # the reset info: this brick's name and the world's bricks (messaging)
        self.pending: dict = {}  # port -> command for this control period
        self.read_keys: set = set()
        self.bt_out: list = []  # messaging requests of this period (pybricks.messaging)
        self.radio = None  # pybricks.messaging's handler of the events that arrive
        self.ended = False
        self._update(first)
        Runtime.current = self

    # -- what the program sees ------------------------------------------------------------------
    def _update(self, msg: dict) -> None:
        self.time_ms = float(msg.get("t", 0))
        self.obs = msg.get("obs", {})
        self.motors = msg.get("motors", {})
        self.read_keys = set()
        if msg.get("bt") and self.radio is not None:
            self.radio(msg["bt"])

    def read(self, key: str):
        """A sensor value; reading the same one twice in one period lets a period pass first,
        like a real loop that spends time between reads."""
        if key in self.read_keys:
            self.tick()
        self.read_keys.add(key)
        if key not in self.obs:
            raise OSError(f"no device gives {key!r} on this robot (ports follow the robot's build file)")
        return self.obs[key]

    def buttons(self) -> list:
        """Names of the brick buttons the operator holds now (scripted presses, ms windows)."""
        now = self.time_ms
        return sorted({b for b, t0, t1 in self.presses if t0 <= now < t1})

    def event(self, text: str) -> None:
        """Record what the brick showed or played, with its time, in the run's output."""
        print(f"[brick {self.time_ms / 1000.0:.2f}s] {text}", file=sys.stderr)

    def peek(self, key: str, default=None):
        return self.obs.get(key, default)

    def motor_state(self, port: str) -> dict:
        return self.motors.get(port, {})

    def command(self, port: str, cmd) -> None:
        """Queue a command for this period: settings accumulate, a new move replaces the last."""
        cur = self.pending.get(port)
        if isinstance(cur, dict) and isinstance(cmd, dict):
            if any(k in cmd for k in MOVES):
                cur = {k: v for k, v in cur.items() if k in SETTING_KEYS or k == "reset_angle"}
            cur.update(cmd)
            cmd = cur
        self.pending[port] = cmd

    def moving(self, port: str) -> bool:
        """A move for this port is queued this period (its state arrives with the next one)."""
        cmd = self.pending.get(port)
        return isinstance(cmd, dict) and any(k in cmd for k in MOVES)

    # -- time ----------------------------------------------------------------------------------
    def tick(self) -> None:
        """Send this period's commands, block until the next observation."""
        line = {"type": "action", "action": self.pending}
        if self.bt_out:
            line["bt"], self.bt_out = self.bt_out, []
        if self.ended:
            line["done"] = True
        self.out.write(json.dumps(line) + "\n")
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
        self.ended = True  # the arena may end the run here (run_match(until_done=True))
        try:
            while True:
                self.tick()
        except ProgramEnded:
            return

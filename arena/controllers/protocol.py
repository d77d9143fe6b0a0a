"""What crosses the wire between the arena and a controller: statuses, the actions a
controller may send and their validation, and the observations and motor states it is sent.

The messages themselves are JSON lines (see host.py for the controller's side and
docs/controllers.md for the whole exchange).
"""

from __future__ import annotations

import math
import struct
from operator import itemgetter

from arena.controllers.host import json_encoder
from arena.units import MOTOR_PORTS

OK, ERROR, TIMEOUT, INVALID = "OK", "ERROR", "TIMEOUT", "INVALID"
COMMAND_KEYS = {"dc", "run", "target", "speed", "then", "stop", "reset_angle",
                # pybricks moves and servo settings (arena.kit.motors.Motor.command, docs/brick.md)
                "time", "by", "acc", "track", "until_stalled", "max_speed", "max_acc", "max_duty", "kp", "ki",
                "kd", "i_range", "i_rate", "offset", "tol_speed", "tol_angle", "stall_speed", "stall_time"}
STOP_MODES = ("coast", "brake", "hold")


class InvalidAction(Exception):
    pass


def _number(v, where: str) -> float:
    # exact types only: a bool (or any subclass trick) is not a duty
    if type(v) not in (int, float):
        raise InvalidAction(f"{where} must be a number, got {type(v).__name__}")
    f = float(v)
    if not math.isfinite(f):
        raise InvalidAction(f"{where} must be finite, got {v!r}")
    return f


def _emit(port: str, cmd) -> dict:
    if type(cmd) is not dict or set(cmd) != {"emit"} or type(cmd["emit"]) not in (int, float) \
            or cmd["emit"] not in (0, 1):
        raise InvalidAction(f"port {port} (ultrasonic sensor): the only command is {{\"emit\": 1}} (pinging, "
                            f"distance mode) or {{\"emit\": 0}} (silent or listening), got {cmd!r}")
    return {"emit": float(cmd["emit"])}


def validate_action(action, ports: list[str], sonars=()) -> dict:
    """A controller's action -> motor commands, or InvalidAction with the reason.

    Accepted: {"B": duty, ...} with duty in [-1, 1] (clipped), or per port a command dict
    {"dc": u} | {"run": deg/s} | {"target": deg, "speed": deg/s, "then": stop} | {"stop": mode};
    and for an ultrasonic sensor's port (`sonars`: their ports, e.g. Match.sonars[player]) {"emit": 0 | 1}.
    Ports not mentioned keep their last command.
    """
    if type(action) is not dict:
        raise InvalidAction(f"act() must return a dict of motor port -> duty, got {type(action).__name__}")
    if len(action) > len(MOTOR_PORTS) + len(sonars):
        raise InvalidAction(f"act() returned {len(action)} entries; the robot has ports {', '.join(ports)}")
    out: dict = {}
    for port, cmd in action.items():
        if type(cmd) is float and cmd - cmd == 0.0 and port in ports and port not in sonars:
            out[port] = min(1.0, max(-1.0, cmd))  # the usual case, a finite duty: what the general path gives
            continue
        if port in sonars:
            out[port] = _emit(port, cmd)
            continue
        if port not in ports:
            raise InvalidAction(f"unknown motor port {port!r}: this robot has {', '.join(ports)}")
        if type(cmd) is dict:
            bad = set(cmd) - COMMAND_KEYS
            if bad or not cmd:
                raise InvalidAction(f"port {port}: unknown command keys {sorted(bad)}; use dc, run, target/speed/then, stop")
            c: dict = {}
            for k, v in cmd.items():
                if k in ("then", "stop"):
                    if v not in STOP_MODES:
                        raise InvalidAction(f"port {port}: {k} must be one of {', '.join(STOP_MODES)}")
                    c[k] = v
                else:
                    c[k] = _number(v, f"port {port} {k}")
            if "dc" in c:
                c["dc"] = min(1.0, max(-1.0, c["dc"]))
            out[port] = c
        else:
            out[port] = min(1.0, max(-1.0, _number(cmd, f"duty for port {port}")))
    return out


def _tolist(v):
    # the act line's encoder meets only what JSON cannot encode itself: numpy values become numbers
    # and lists, as in plain_obs; anything else is the error json gives
    if hasattr(v, "tolist"):
        return v.tolist()
    raise TypeError(f"Object of type {type(v).__name__} is not JSON serializable")


_encode_values = json_encoder(allow_nan=False, default=_tolist)


def act_line(t_ms: int, values: list) -> bytes:
    """A controller class's act message, {"type": "act", "t": t_ms, "v": values} as one compact,
    strict JSON line (NaN or Infinity: a ValueError), built without a dict or a per-value pass."""
    return ('{"type":"act","t":' + str(int(t_ms)) + ',"v":' + _encode_values(values) + "}\n").encode()


class ObsPacker:
    """A controller class's observation for the lane (arena.controllers.lane): its values in key
    order as one run of float64, each list spliced in where it stands. ``shape`` (per key, 0 for a
    number or n for a list of n; sent at reset) comes from the first observation. pack() gives
    None for an observation without that shape (a value that is not a float, or a list of another
    length or of other values): it then goes as its JSON act line, so the controller is shown
    the same values of the same types either way."""

    def __init__(self, keys: list[str], first: dict):
        self.shape = [len(v) if type(v) is list else 0 for v in (first[k] for k in keys)]
        self.get = itemgetter(*keys) if len(keys) > 1 else (lambda raw: tuple(raw[k] for k in keys))
        self.types = tuple(list if n else float for n in self.shape)
        self.lists = [(i, n, (float,) * n) for i, n in enumerate(self.shape) if n][::-1]  # last first
        self.fmt = struct.Struct(f"<{sum(n or 1 for n in self.shape)}d")

    def pack(self, raw: dict) -> tuple | list | None:
        vals = self.get(raw)
        if tuple(map(type, vals)) != self.types:
            return None
        if not self.lists:
            return vals
        flat = list(vals)
        for i, n, floats in self.lists:
            v = flat[i]
            if len(v) != n or tuple(map(type, v)) != floats:
                return None
            flat[i : i + 1] = v
        return flat


def plain_obs(raw: dict) -> dict:
    """Observation as JSON-friendly numbers (lists for vectors), in the brick's units."""
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in raw.items()}


def motor_states(robot) -> dict:
    """What the brick's firmware knows about each motor beyond the observation: whether a
    run_target has finished and whether it is stalled (brick programs block on these)."""
    return {p: m.state() for p, m in robot.motors.items()}

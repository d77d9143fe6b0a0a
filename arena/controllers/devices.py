"""What a brick program asked for on a port its robot lacks, and which bundled robots have it:
the reason of the INVALID status such a program gets (see brick/pybricks/_runtime.PortError)."""

from __future__ import annotations

from arena.content import listing
from arena.errors import ArenaError
from arena.kit.catalogue import catalogue
from arena.robot.spec import load_robot
from arena.world.checks import read_press

# the device names the brick's API uses -> the catalogue's kind (motors) or sensor type
DEVICES = {"motor": "motor", "touch sensor": "touch", "colour sensor": "color", "light sensor": "color",
           "ultrasonic sensor": "ultrasonic", "gyro sensor": "gyro", "infrared sensor": "infrared"}


def robots_with(port: str, device: str) -> list[str]:
    """Names of the bundled robots with `device` (one of DEVICES) on `port`."""
    want = DEVICES.get(device)
    cat = catalogue()
    out = []
    for path in listing("robots"):
        try:
            spec = load_robot(path)
        except (ArenaError, OSError):
            continue  # a broken robot file is `arena check`'s to report, not this message's
        for p in spec.parts:
            if p.port != port:
                continue
            part = cat[p.part]
            if (part.kind == "motor" and want == "motor") or part.param("sensor", None) == want:
                out.append(spec.name)
                break
    return out


def port_reason(reply: dict) -> str:
    """The INVALID reason for a host's {"where": "port", "port", "device", "message"} reply."""
    port, device = str(reply.get("port", "?")), str(reply.get("device", "device"))
    have = robots_with(port, device)
    where = (f"bundled robots with a {device} on {port}: {', '.join(have)}" if have
             else f"no bundled robot has a {device} on {port}")
    return (f"the program wants a {device} on port {port}: {reply.get('message', '')}; {where} "
            f"(run it on one of those with --robot, or change the port in the program)")


def parse_press(text: str, where: str = "--press") -> list:
    """"CENTER@0.5" (a 0.2 s tap at 0.5 s) or "CENTER@0.5-2" (held from 0.5 s to 2 s) ->
    [button, start s, end s]; ArenaError naming the problem and the form to use. The one parser
    is arena.world.checks.read_press (a world's [brick] presses use it too)."""
    try:
        return read_press(text)
    except ValueError as exc:
        raise ArenaError(f"{where} {text!r}: {exc}") from None

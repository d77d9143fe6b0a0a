"""How closely the simulated brick moves like pybricks on the EV3 (issue 15's "Done when" figures).

Runs brick programs on the rover, on a flat empty table, with the simulated pybricks package
in this process (the arena's runner puts it in a sandbox; here the program is trusted and the
ground truth is read straight from the match). Prints, with settings(200, 400, 90, 180):
straight(500): blocking time vs the profile's own duration, ground-truth distance and skid;
turn(360): ground-truth heading change; run_angle(500, 360) on a wheel: overshoot, final error.

    python benchmarks/brick_fidelity.py [--json]

tests/test_brick_fidelity.py runs this script and asserts the figures (not timed).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

from arena.controllers.host import BRICK_DIR
from arena.controllers.protocol import motor_states, plain_obs, validate_action
from arena.kit.control import Trajectory
from arena.match import Match

WORLD = """
id = "BrickBench-v0"
name = "brick-bench"
description = "A flat empty 3 x 3 m table for measuring motion."
author = "Kit Arena"
robot = "rover"
time_limit = 60.0
border = 100.0

[mat]
size = [3000, 3000]

[[zones]]
id = "far"
shape = "rect"
center = [1300, 1300]
size = [100, 100]
color = "green"

[[start]]
pos = [-800, 0]
heading = 0

[[score]]
name = "far"
kind = "reach_zone"
zone = "far"
weight = 1.0
"""

HEAD = """
from pybricks.ev3devices import Motor
from pybricks.parameters import Port, Stop
from pybricks.robotics import DriveBase
from pybricks.tools import StopWatch, wait
left, right = Motor(Port.B), Motor(Port.C)
base = DriveBase(left, right, wheel_diameter=56, axle_track=104)
base.settings(200, 400, 90, 180)
clock = StopWatch()
"""


class Bridge:
    """The runtime's two pipes in one object: an action steps the match at once and queues the
    next observation, so the program runs synchronously in this process."""

    def __init__(self, match: Match):
        self.match = match
        self.lines: list[str] = []
        self.poses: list[tuple[float, float, float]] = []  # ground truth after each step: mm, mm, rad

    def message(self) -> str:
        robot = self.match.robots[0]
        return json.dumps({"type": "act", "t": int(round(self.match.time * 1000)), "obs": plain_obs(self.match.obs[0]),
                           "motors": motor_states(robot)})

    def write(self, text: str) -> None:
        msg = json.loads(text)
        robot = self.match.robots[0]
        self.match.step([validate_action(msg["action"], robot.ports, self.match.sonars[0])])
        p = robot.pose
        self.poses.append((p.x * 1000.0, p.y * 1000.0, p.yaw))
        done = self.match.terminated or self.match.truncated
        self.lines.append(json.dumps({"type": "close"}) if done else self.message())

    def flush(self) -> None:
        pass

    def readline(self) -> str:
        return self.lines.pop(0) + "\n" if self.lines else ""


def run_program(body: str, robot: str = "rover", seed: int = 0) -> tuple[dict, Bridge]:
    """Run HEAD + body on the bench table; returns the `key = value` lines it printed, and the
    bridge with the ground-truth trace."""
    if BRICK_DIR not in sys.path:
        sys.path.insert(0, BRICK_DIR)
    from pybricks._runtime import ProgramEnded, Runtime

    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "brick-bench.toml"
        world.write_text(WORLD)
        match = Match(world, [robot])
        match.reset(np.random.SeedSequence(seed))
        bridge = Bridge(match)
        p = match.robots[0].pose
        bridge.poses.append((p.x * 1000.0, p.y * 1000.0, p.yaw))
        rt = Runtime(bridge, bridge, json.loads(bridge.message()))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(HEAD + textwrap.dedent(body), "bench.py", "exec"), {"__name__": "__main__"})
            except ProgramEnded:
                pass
        del rt
        match.close()
    vals = {}
    for line in out.getvalue().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            vals[k.strip()] = float(v)
    return vals, bridge


def profile_duration(distance: float, speed: float, acc: float) -> float:
    """pybricks' own trajectory for a move from rest: its duration (s)."""
    return Trajectory().angle_based(0.0, 0.0, distance, 0.0, speed, 1e9, acc, 1e9).duration


def measure() -> dict:
    out: dict = {}
    # straight(500): time, ground truth, skid (ground truth against the wheels' own distance)
    vals, br = run_program("""
        clock.reset()
        base.straight(500)
        print("t =", clock.time())
        print("enc =", base.distance())
        wait(1000)
        print("enc_later =", base.distance())
    """)
    (x0, y0, h0), (x1, y1, _) = br.poses[0], br.poses[-1]
    gt = (x1 - x0) * math.cos(h0) + (y1 - y0) * math.sin(h0)
    out["straight_profile_s"] = round(profile_duration(500, 200, 400), 3)
    out["straight_time_s"] = vals["t"] / 1000.0
    out["straight_ground_truth_mm"] = round(gt, 1)
    out["straight_error_mm"] = round(gt - 500, 1)
    out["straight_skid_mm"] = round(gt - vals["enc_later"], 1)
    # turn(360): ground-truth heading change (the yaw unwrapped over the trace)
    vals, br = run_program("""
        clock.reset()
        base.turn(360)
        print("t =", clock.time())
        wait(1000)
    """)
    total = 0.0
    for (_, _, a), (_, _, b) in zip(br.poses, br.poses[1:], strict=False):
        total += (b - a + math.pi) % (2 * math.pi) - math.pi
    out["turn_profile_s"] = round(profile_duration(360, 90, 180), 3)
    out["turn_time_s"] = vals["t"] / 1000.0
    out["turn_ground_truth_deg"] = round(-math.degrees(total), 2)  # clockwise positive, as pybricks
    out["turn_error_deg"] = round(-math.degrees(total) - 360, 2)
    # run_angle(500, 360) on the left wheel, robot on the ground: overshoot and final error
    vals, _ = run_program("""
        print("acc =", left.control.limits()[1])  # the motor's default acceleration, deg/s^2
        clock.reset()
        left.run_angle(500, 360, wait=False)
        peak = 0
        while not left.control.done():
            peak = max(peak, left.angle())
            wait(10)
        print("t =", clock.time())
        for _ in range(200):  # 2 s of hold: pbio's integral takes out the last degrees
            peak = max(peak, left.angle())
            wait(10)
        print("peak =", peak)
        print("final =", left.angle())
    """)
    out["run_angle_profile_s"] = round(profile_duration(360, 500, vals["acc"]), 3)
    out["run_angle_time_s"] = vals["t"] / 1000.0
    out["run_angle_overshoot_deg"] = vals["peak"] - 360
    out["run_angle_final_error_deg"] = vals["final"] - 360
    return out


def main() -> None:
    figures = measure()
    if "--json" in sys.argv:
        print(json.dumps(figures))
        return
    for k, v in figures.items():
        print(f"{k:28s} {v}")


if __name__ == "__main__":
    main()

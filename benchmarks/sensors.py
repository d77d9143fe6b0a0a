"""Cost of each device per control step, in microseconds (median of several runs).

Measured on the rover in line-follow: each sensor's read as the robot does it every control
step (the ultrasonic also per ping: it pings every 40 ms), and the motors' share (regulation
once per period plus the DC model every physics step), against one physics step in the same run.

Usage: python benchmarks/sensors.py [--n N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from arena.envs.single import ArenaEnv
from arena.kit.sensors import ColorSensor, GyroSensor, TouchSensor, UltrasonicSensor


def per_call_us(fn, n: int, repeats: int = 5) -> float:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        out.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    args = ap.parse_args()
    env = ArenaEnv("line-follow")
    env.reset(seed=0)
    for _ in range(50):
        env.step(np.array([0.3, 0.3]))
    r, mat = env.robot, env.world.mat
    r._fetch_state()
    rows = []
    for port, dev in r.sensors.items():
        if isinstance(dev, ColorSensor):
            rows.append((f"{port} colour (reflection, ambient, colour id, rgb)",
                         per_call_us(lambda p=port, d=dev: d.read(r._frame(p), mat, 10.0), args.n)))
        elif isinstance(dev, UltrasonicSensor):
            def ping(p=port, d=dev):
                rot, origin = r._sonar_pose(r._mounts[p])
                d.ping(0.0, rot, origin, r.sim.rays)
            us = per_call_us(ping, args.n // 4)
            rows.append((f"{port} ultrasonic per ping (21 rays)", us))
            rows.append((f"{port} ultrasonic per control step (1 ping / 40 ms)", us * env.sim.control_dt / dev.PERIOD))
        elif isinstance(dev, GyroSensor):
            rows.append((f"{port} gyro (rate, angle)", per_call_us(lambda p=port, d=dev: d.update(0.1, 0.001, 0.01), args.n)))
        elif isinstance(dev, TouchSensor):
            rows.append((f"{port} touch (contacts of the bumper)",
                         per_call_us(lambda d=dev: any(r.sim.contacts(r.body, link) for link in d.links), args.n)))
    rows.append(("motors: regulation + DC model for 2 motors", per_call_us(lambda: (r.control(), r.physics(), r.physics()), args.n)))
    rows.append(("one physics step (for scale)", per_call_us(env.sim.step, args.n)))
    rows.append(("whole control step (env.step)", per_call_us(lambda: env.step(np.array([0.3, 0.3])), args.n // 3)))
    width = max(len(name) for name, _ in rows)
    for name, us in rows:
        print(f"{name:<{width}}  {us:8.1f} us")
    env.close()


if __name__ == "__main__":
    main()

"""Env throughput against a raw PyBullet loop doing the same physics and the same queries.

Prints, as medians of several runs in this process:
- raw PyBullet control steps/s (same bodies, same substeps, same joint/pose/contact/ray calls)
- ArenaEnv.step steps/s and the ratio env/raw (target >= 0.85)
- real-time factor of a whole line-follow episode with the rover and the bundled line follower
  (controller in-process, as an RL policy would be; target >= 50x)
- reset time (ms), also the process's first (which draws the world's mat), and memory per env (MB)

Usage: python benchmarks/throughput.py [--steps N] [--repeats R]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import time

import numpy as np
import pybullet as pb
from _inprocess import line_follower_episode

from arena import _speedups
from arena.envs.single import ArenaEnv
from arena.kit.sensors import UltrasonicSensor


def query_targets(env: ArenaEnv) -> tuple[list[int], list, list]:
    """What the rover's sensors query each step: its touch links, and the ultrasonic's 21 rays
    (starts and ends as the sensor casts them from where the robot stands; this sends one ping,
    so reset the env before stepping it)."""
    touch = [link for dev in env.robot.sensors.values() if hasattr(dev, "links") for link in dev.links]
    robot, cast = env.robot, {}

    def record(starts, ends):
        cast["starts"], cast["ends"] = starts, ends
        return robot.sim.rays(starts, ends)

    sonar, mount = next((dev, mount) for _p, dev, _k, _q, mount in robot._plan if isinstance(dev, UltrasonicSensor))
    rot, origin = robot._sonar_pose(mount)  # what Robot.sense passes to the ping from this pose
    sonar.ping(env.time, rot, origin, record)
    return touch, cast["starts"], cast["ends"]


def options() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    return ap.parse_args()


def raw_loop(env: ArenaEnv, steps: int) -> float:
    """The same physics and pybullet queries as one env step, with no arena code in between."""
    m = env.match
    c, body, robot = m.sim.client, env.robot.body, env.robot
    joints = robot.joints
    touch, starts, ends = query_targets(env)
    subs = m.sim.substeps
    t0 = time.perf_counter()
    for k in range(steps):
        pb.getJointStates(body, joints, physicsClientId=c)
        for _ in range(subs):
            pb.getJointStates(body, joints, physicsClientId=c)
            pb.setJointMotorControlArray(body, joints, pb.VELOCITY_CONTROL, targetVelocities=[5.0, 5.2],
                                         forces=[0.2, 0.2], physicsClientId=c)
            pb.stepSimulation(physicsClientId=c)
        pb.getBasePositionAndOrientation(body, physicsClientId=c)
        pb.getBaseVelocity(body, physicsClientId=c)
        for link in touch:
            pb.getContactPoints(bodyA=body, linkIndexA=link, physicsClientId=c)
        if k % 4 == 0:  # the ultrasonic pings every 40 ms
            pb.rayTestBatch(starts, ends, physicsClientId=c)
    return steps / (time.perf_counter() - t0)


def env_loop(env: ArenaEnv, steps: int) -> float:
    a = np.array([0.4, 0.42], dtype=np.float32)
    t0 = time.perf_counter()
    for _ in range(steps):
        env.step(a)
    return steps / (time.perf_counter() - t0)


def episode_rtf() -> tuple[float, float]:
    sim, wall, _steps = line_follower_episode(0)
    return sim / wall, sim


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def raw_and_env(env: ArenaEnv, steps: int, repeats: int) -> tuple[float, float]:
    """Medians of the raw loop's and the env's control steps/s, alternating, each from a reset."""
    raws, envs = [], []
    for _ in range(repeats):
        env.reset(seed=0)
        raws.append(raw_loop(env, steps))
        env.reset(seed=0)
        envs.append(env_loop(env, steps))
    return statistics.median(raws), statistics.median(envs)


def main() -> None:
    args = options()

    env = ArenaEnv("line-follow")
    t0 = time.perf_counter()
    env.reset(seed=0)  # the process's first reset of this world: it also draws the world's mat
    first = (time.perf_counter() - t0) * 1000
    raw, envr = raw_and_env(env, args.steps, args.repeats)
    print(f"build             : {'compiled speedups' if _speedups.active() else 'pure Python'}")
    print(f"raw pybullet loop : {raw:8.0f} control steps/s  (median of {args.repeats} x {args.steps})")
    print(f"ArenaEnv.step     : {envr:8.0f} control steps/s")
    print(f"ratio env / raw   : {envr / raw:8.2f}   (target >= 0.85)")

    resets = []
    for s in range(20):
        t0 = time.perf_counter()
        env.reset(seed=s)
        resets.append((time.perf_counter() - t0) * 1000)
    print(f"reset             : {statistics.median(resets):8.2f} ms median of 20 (target <= 10 ms); "
          f"the first in this process {first:.0f} ms (it draws the mat, shared by later envs)")
    env.close()

    rtfs = [episode_rtf() for _ in range(3)]
    rtf = statistics.median(r for r, _ in rtfs)
    print(f"line-follow RTF   : {rtf:8.0f}x real time  (median of 3 episodes of {rtfs[0][1]:.0f} s simulated; "
          "target >= 50x)")

    gc.collect()
    before = rss_mb()
    extra = [ArenaEnv("line-follow") for _ in range(5)]
    for e in extra:
        e.reset(seed=0)
    gc.collect()
    per_env = (rss_mb() - before) / len(extra)
    print(f"memory per env    : {per_env:8.1f} MB  (RSS growth over 5 more envs; target <= 80 MB)")
    for e in extra:
        e.close()


if __name__ == "__main__":
    main()

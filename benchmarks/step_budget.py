"""Where an env step's time goes beyond PyBullet: device models or the rest of the step.

Prints, as medians of several runs in this process, microseconds per control step of:
- the raw PyBullet loop of benchmarks/throughput.py (same physics, same queries);
- ArenaEnv.step as shipped;
- ArenaEnv.step with the device models taken out: motors and sensors make the same PyBullet
  calls but compute nothing (a diagnostic: the observations are frozen, the run is not real).
The difference of the last two is what the motor and sensor models cost; what is left over the
raw loop is the step's bookkeeping (actions, scoring, observation and info packing). Their sum
is what keeps the env/raw ratio of throughput.py below 1.

With the compiled speedups built (arena/_speedups.py) it prints the compiled step against raw,
then this breakdown from the pure Python build (compiled classes cannot be patched with stubs).

Usage: python benchmarks/step_budget.py [--steps N] [--repeats R]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from throughput import env_loop, options, query_targets, raw_and_env, raw_loop

from arena import _speedups
from arena.envs.single import ArenaEnv
from arena.robot.body import Robot


def without_device_models(env: ArenaEnv):
    """Robot methods that make the shipped per-step PyBullet calls and compute nothing else."""
    robot, sim = env.robot, env.sim
    frozen = dict(env.last_obs)
    touch, starts, ends = query_targets(env)
    n_joints = len(robot.joints)
    count = [0]

    def control(self):
        sim.joint_angles(self.body, self.joints)

    def physics(self):
        sim.joint_speeds(self.body, self.joints)
        sim.drive_joints(self.body, self.joints, [5.0] * n_joints, [0.2] * n_joints)

    def sense(self, t, mat, ambient):
        self._fetch_state()
        for link in touch:
            sim.contacts(self.body, link)
        count[0] += 1
        if count[0] % 4 == 0:
            sim.rays(starts, ends)
        return frozen

    return {"control": control, "physics": physics, "sense": sense}


def main() -> None:
    args = options()
    if _speedups.active():
        # the compiled classes cannot be patched with stubs: measure the compiled step against raw
        # here, and the breakdown on the pure Python build
        env = ArenaEnv("line-follow")
        raw, full = (1e6 / x for x in raw_and_env(env, args.steps, args.repeats))
        env.close()
        print(f"compiled build: raw pybullet loop {raw:6.1f} us, ArenaEnv.step {full:6.1f} us per control step, "
              f"ratio {raw / full:.2f}, beyond raw {full - raw:5.1f} us")
        print("the breakdown, on the pure Python build:", flush=True)
        env_vars = dict(os.environ, ARENA_PURE_PYTHON="1")
        subprocess.run([sys.executable, __file__, *sys.argv[1:]], env=env_vars, check=True)
        return
    env = ArenaEnv("line-follow")
    env.reset(seed=0)
    shipped = {name: getattr(Robot, name) for name in ("control", "physics", "sense")}
    stubs = without_device_models(env)
    raws, envs, bare = [], [], []
    for _ in range(args.repeats):
        env.reset(seed=0)
        raws.append(raw_loop(env, args.steps))
        env.reset(seed=0)
        envs.append(env_loop(env, args.steps))
        env.reset(seed=0)
        for name, f in stubs.items():
            setattr(Robot, name, f)
        try:
            bare.append(env_loop(env, args.steps))
        finally:
            for name, f in shipped.items():
                setattr(Robot, name, f)
    raw, full, nodev = (1e6 / statistics.median(x) for x in (raws, envs, bare))
    print(f"raw pybullet loop               : {raw:6.1f} us per control step  (median of {args.repeats} x {args.steps})")
    print(f"ArenaEnv.step                   : {full:6.1f} us   ratio to raw {raw / full:.2f}")
    print(f"ArenaEnv.step, no device models : {nodev:6.1f} us   ratio to raw {raw / nodev:.2f}")
    print(f"device models (motors, sensors) : {full - nodev:6.1f} us")
    print(f"bookkeeping beyond raw          : {nodev - raw:6.1f} us  (actions, scoring, obs and info packing)")
    env.close()


if __name__ == "__main__":
    main()

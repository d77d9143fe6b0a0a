"""Every catalogue motor on the test bench against its published figures.

Prints no-load speed at 9 V and 7.2 V, stall torque, and speed under the running torque, with the
published value beside each; then pybricks' servo on each motor: run_angle(500, 360)'s profile
duration, when it reports done, its overshoot and its error after 2 s of hold (a rover wheel's
inertia for the large and NXT motors, an arm's for the medium). Usage: python benchmarks/motors.py
"""

from arena.kit.bench import MotorBench
from arena.kit.catalogue import catalogue

ARM_INERTIA = 2e-5  # kg*m^2: what a medium motor usually turns (tests/test_brick_control.py)


def servo_figures(part_id: str) -> tuple[float, float, float, float]:
    """(profile s, done at s, overshoot deg, final error deg) of run_angle(500, 360)."""
    bench = MotorBench(part_id, inertia=ARM_INERTIA if part_id == "motor-medium" else None)
    m = bench.motor
    m.command({"by": 360, "speed": 500})
    done_at, peak, traj = None, -1e9, None
    for _ in range(300):
        bench.run({}, bench.sim.control_dt)
        traj = traj or m.servo.traj
        peak = max(peak, m.angle)
        if done_at is None and m.done:
            done_at = m.t
    bench.close()
    return traj.t3 - traj.t0, done_at, peak - 360, m.angle - 360


def main() -> None:
    print(f"{'motor':14s} {'no-load rpm':>16s} {'7.2 V / 9 V':>12s} {'stall N*cm':>16s} {'rpm at running torque':>22s}")
    for part in catalogue().values():
        if part.kind != "motor":
            continue
        rpm = MotorBench(part.id).run(1.0, 1.5).speed_rpm
        low = MotorBench(part.id, volts=7.2).run(1.0, 1.5).speed_rpm
        stall = MotorBench(part.id).stall_torque_ncm()
        run = MotorBench(part.id).run(1.0, 1.5, load_ncm=part.param("running_torque_ncm")).speed_rpm
        print(f"{part.id:14s} {rpm:7.1f} ({part.param('no_load_rpm'):5.0f}) {low / rpm:12.3f} "
              f"{stall:7.1f} ({part.param('stall_torque_ncm'):5.1f}) {run:22.1f}")
    print(f"\n{'motor':14s} {'run_angle(500, 360): profile s':>30s} {'done at s':>10s} {'overshoot':>10s} "
          f"{'final error':>12s}")
    for part in catalogue().values():
        if part.kind == "motor":
            t3, done, over, err = servo_figures(part.id)
            print(f"{part.id:14s} {t3:30.3f} {done:10.2f} {over:10.0f} {err:12.0f}")


if __name__ == "__main__":
    main()

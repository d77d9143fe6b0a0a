"""Every catalogue motor on the test bench against its published figures.

Prints no-load speed at 9 V and 7.2 V, stall torque, and speed under the running torque, with the
published value beside each. Usage: python benchmarks/motors.py
"""

from arena.kit.bench import MotorBench
from arena.kit.catalogue import catalogue


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


if __name__ == "__main__":
    main()

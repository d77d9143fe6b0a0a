"""pybricks' servo control (arena/kit/control.py) and the motors that run it: trajectories against
pbio's formulas worked by hand, and each motor type's moves against its own profile."""

import math

import pytest

from arena.kit.bench import MotorBench
from arena.kit.catalogue import catalogue
from arena.kit.control import FOREVER, SETTING_KEYS, Settings, Trajectory, settings_of
from arena.kit.motors import Motor

MOTORS = ("motor-large", "motor-medium", "motor-nxt")
# each motor with a load it is built for: a rover wheel for the drive motors, an arm for the medium
LOAD = {"motor-large": None, "motor-nxt": None, "motor-medium": 2e-5}
K = Motor.COUNTS_PER_DEGREE  # the servo works in pbio's counts (720 a turn); settings are in counts


def test_angle_trapezoid_from_rest():
    """500 deg at 200 deg/s, 400 deg/s^2: 0.5 s up, 2 s cruising, 0.5 s down."""
    tr = Trajectory().angle_based(0.0, 0.0, 500.0, 0.0, 200.0, 1600.0, 400.0, 3200.0)
    assert (tr.t1, tr.t2, tr.t3) == pytest.approx((0.5, 2.5, 3.0))
    assert (tr.th1, tr.th2, tr.th3) == pytest.approx((50.0, 450.0, 500.0))
    assert tr.reference(0.25) == pytest.approx((12.5, 100.0))
    assert tr.reference(1.5) == pytest.approx((250.0, 200.0))
    assert tr.reference(2.75) == pytest.approx((487.5, 100.0))
    assert tr.reference(9.0) == (500.0, 0.0)


def test_angle_triangle_when_the_speed_is_not_reached():
    tr = Trajectory().angle_based(0.0, 0.0, 50.0, 0.0, 200.0, 1600.0, 400.0, 3200.0)
    peak = math.sqrt(2 * 400 * 25)
    assert tr.w1 == pytest.approx(peak) and tr.th1 == tr.th2 == pytest.approx(25.0)
    assert tr.t3 == pytest.approx(2 * peak / 400)


def test_angle_from_the_current_speed_and_from_too_fast():
    """Moving at 100 deg/s already: the ramp starts there (pbio's fictitious zero-speed angle)."""
    tr = Trajectory().angle_based(0.0, 0.0, 500.0, 100.0, 200.0, 1600.0, 400.0, 3200.0)
    assert tr.t1 == pytest.approx(0.25) and tr.th1 == pytest.approx(37.5)
    assert tr.t3 - tr.t2 == pytest.approx(0.5) and tr.th2 == pytest.approx(450.0)
    # faster than the target speed: decelerate to it first
    tr = Trajectory().angle_based(0.0, 0.0, 500.0, 300.0, 200.0, 1600.0, 400.0, 3200.0)
    assert tr.a0 == -400.0 and tr.th1 == pytest.approx((300**2 - 200**2) / 800)
    # too fast to stop in time: pbio lowers the start speed to what can stop
    tr = Trajectory().angle_based(0.0, 0.0, 10.0, 500.0, 200.0, 1600.0, 400.0, 3200.0)
    assert tr.w0 == pytest.approx(math.sqrt(2 * 400 * 10))


def test_backward_is_the_mirror_and_limits_clamp():
    fwd = Trajectory().angle_based(0.0, 10.0, 510.0, 0.0, 200.0, 1600.0, 400.0, 3200.0)
    back = Trajectory().angle_based(0.0, 10.0, -490.0, 0.0, 200.0, 1600.0, 400.0, 3200.0)
    for t in (0.1, 1.0, 2.9, 4.0):
        (a, w), (b, v) = fwd.reference(t), back.reference(t)
        assert a - 10 == pytest.approx(-(b - 10)) and w == pytest.approx(-v)
    capped = Trajectory().angle_based(0.0, 0.0, 5000.0, 0.0, 9999.0, 1600.0, 9999.0, 3200.0)
    assert capped.w1 == 1600.0 and capped.a0 == 3200.0
    with pytest.raises(ValueError):
        Trajectory().angle_based(0.0, 0.0, 10.0, 0.0, 0.0, 1600.0, 400.0, 3200.0)


def test_time_based_trapezoid_triangle_and_forever():
    tr = Trajectory().time_based(0.0, 2.0, 0.0, 0.0, 300.0, 1600.0, 600.0, 3200.0)
    assert (tr.t1, tr.t2, tr.t3) == pytest.approx((0.5, 1.5, 2.0)) and tr.th3 == pytest.approx(450.0)
    tri = Trajectory().time_based(0.0, 0.5, 0.0, 0.0, 300.0, 1600.0, 600.0, 3200.0)
    assert tri.w1 == pytest.approx(150.0) and tri.t1 == pytest.approx(0.25) and tri.t3 == pytest.approx(0.5)
    back = Trajectory().time_based(0.0, 2.0, 0.0, 0.0, -300.0, 1600.0, 600.0, 3200.0)
    assert back.th3 == pytest.approx(-450.0)
    run = Trajectory().time_based(0.0, FOREVER, 0.0, 0.0, 300.0, 1600.0, 600.0, 3200.0)
    assert run.reference(100.0) == pytest.approx((300.0 * 100.0 - 75.0, 300.0))


def test_part_settings_are_pybricks_v2_and_validated():
    large = settings_of(catalogue()["motor-large"])
    assert (large.max_speed, large.max_acc, large.kp, large.ki, large.kd) == (1600, 3200, 400, 1200, 5)
    medium = settings_of(catalogue()["motor-medium"])
    assert (medium.max_speed, medium.max_acc, medium.offset) == (2000, 8000, 2000)
    s = Settings(**dict(zip(SETTING_KEYS, large.as_list(), strict=True)))
    for bad in ({"max_speed": 0}, {"kp": -1}, {"offset": 10000}):
        with pytest.raises(ValueError):
            s.update(bad)
    assert s.as_list() == large.as_list()  # a refused update changes nothing


def _move(part, cmd, seconds):
    """Run cmd on the bench; (times done first, peak encoder angle, final angle, trajectory)."""
    bench = MotorBench(part, inertia=LOAD[part])
    m = bench.motor
    m.command(cmd)
    steps = int(round(seconds / bench.sim.control_dt))
    done_at, peak, traj = None, -1e9, None
    for _ in range(steps):
        bench.run({}, bench.sim.control_dt)  # one period, no new command
        traj = traj or m.servo.traj
        peak = max(peak, m.angle)
        if done_at is None and m.done:
            done_at = m.t
    bench.close()
    return done_at, peak, m.angle, traj


@pytest.mark.parametrize("part", MOTORS)
def test_run_angle_ends_when_its_profile_does_within_tolerance(part):
    done_at, peak, final, traj = _move(part, {"by": 360, "speed": 500}, 2.0)
    s = settings_of(catalogue()[part])
    expect = Trajectory().angle_based(0.0, 0.0, 360.0 * K, 0.0, 500.0 * K, s.max_speed, s.max_acc, s.max_acc)
    assert traj.t3 == pytest.approx(expect.t3)
    assert expect.t3 <= done_at <= expect.t3 + 0.1  # done: trajectory over and within 10 counts
    assert peak - 360 <= 2 and abs(final - 360) <= 2


# Overshoot past the pbio trajectory's end point (encoder deg) each motor type shows, by speed.
# pbio v2.0's integrator grows during the deceleration and the leftover integral can carry the
# motor past th3; the motor model then decides how far (docs/brick.md, "run_angle overshoot").
# A change here is a change in fidelity. With pbio's settings read in counts (2 per degree, as
# v2.0 on ev3dev) and the servo's rate over 20 ms (the PRU tacho driver): large 0/0/0 deg at
# 200/500/800 deg/s, medium 1/2/2, NXT 0/0/0 (before, settings read per degree: 1/1/0, 2/2/1, 0/0/0).
OVERSHOOT = {"motor-large": 0, "motor-medium": 2, "motor-nxt": 0}


@pytest.mark.parametrize("speed", (200, 500, 800))
@pytest.mark.parametrize("part", MOTORS)
def test_run_angle_overshoot_and_final_error_per_motor_type(part, speed):
    done_at, peak, final, traj = _move(part, {"by": 360, "speed": speed}, 3.0)
    s = settings_of(catalogue()[part])
    expect = Trajectory().angle_based(0.0, 0.0, 360.0 * K, 0.0, speed * K, s.max_speed, s.max_acc, s.max_acc)
    assert traj.th3 == expect.th3 == 360.0 * K and traj.t3 == pytest.approx(expect.t3)
    assert expect.t3 <= done_at <= expect.t3 + 0.05
    assert 0 <= peak - 360 <= OVERSHOOT[part]
    assert abs(final - 360) <= 1  # the hold's integral takes out what is left


@pytest.mark.parametrize("part", MOTORS)
def test_run_time_decelerates_to_stop_at_the_end_of_its_time(part):
    done_at, _, final, traj = _move(part, {"run": 400, "time": 1000, "then": "hold"}, 1.5)
    # on target when the time is up; a hold then starts and reports done a period later (pbio)
    assert 1.0 <= done_at <= 1.021
    assert abs(final - traj.th3 / K) <= 12  # the reference's own end point, less what lag remains


def test_run_target_patches_a_running_move_smoothly():
    """A new target while moving starts from the running reference, not from rest."""
    bench = MotorBench("motor-large")
    m = bench.motor
    bench.run({"run": 600}, 0.5)
    bench.run({"target": 2000, "speed": 600}, 0.02)
    assert m.servo.traj.w0 == pytest.approx(600.0 * K)
    bench.close()


def test_settings_commands_apply_and_read_back_in_the_motor_state():
    bench = MotorBench("motor-large")
    m = bench.motor
    bench.run({"max_speed": 300, "max_acc": 600, "kp": 500}, 0.02)
    st = m.state()
    got = dict(zip(SETTING_KEYS, st["settings"], strict=True))
    assert (got["max_speed"], got["max_acc"], got["kp"]) == (300, 600, 500)
    bench.run({"run": 1000}, 1.0)
    assert m.speed_est == pytest.approx(300 / K, abs=15)  # the new speed limit (counts/s) holds
    bench.run({"max_speed": -5}, 0.02)  # refused (pbio's rule); the program side raises first
    assert m.settings.max_speed == 300
    bench.close()


def test_stall_is_reported_after_stall_time_and_ends_run_until_stalled():
    bench = MotorBench("motor-large")
    m = bench.motor
    bench.run({"run": 500, "until_stalled": 1, "then": "coast"}, 0.15, load_ncm=39.0)
    assert not m.stalled  # pushing, but not yet for 200 ms
    bench.run({}, 1.0, load_ncm=39.0)
    assert m.mode == "coast" and m.done  # stalled -> the maneuver ended as told
    bench.close()


def test_the_brick_side_names_the_same_commands_and_settings():
    """_runtime.py repeats the arena's command keys (the sandbox may import nothing from the
    arena); the protocol accepts them all."""
    import importlib.util

    from arena.controllers.host import BRICK_DIR
    from arena.controllers.protocol import COMMAND_KEYS
    from arena.kit.motors import Motor

    spec = importlib.util.spec_from_file_location("brick_runtime_copy", f"{BRICK_DIR}/pybricks/_runtime.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.SETTING_KEYS == SETTING_KEYS and mod.MOVES == Motor.MOVES
    assert set(SETTING_KEYS) | set(Motor.MOVES) <= COMMAND_KEYS


@pytest.mark.parametrize("part", MOTORS)
def test_slow_decay_the_winding_brakes_whenever_it_outruns_the_duty(part):
    """The EV3's output port shorts the winding in the PWM off-phase (lms2012 d_pwm.c, ev3dev
    ev3_ports_out.c, pybricks motor_driver_ev3.c: docs/brick.md). So duty 0 is the brake, and a
    shaft faster than its duty's no-load speed is braked at the winding's rate even inside the
    driver's dead band (the model used to coast there: friction only)."""
    from arena.kit.motors import MotorModel

    m = MotorModel.from_part(catalogue()[part])
    c = m.ideal_stall / m.ideal_speed
    w = 5.0  # rad/s at the output, about 290 deg/s
    assert m.drive(0.0, w, 9.0) == pytest.approx(m.brake(w, 9.0))
    small = m.drive_offset / 2  # inside the dead band: no drive torque, but the winding conducts
    w0 = small * m.ideal_speed
    target, limit = m.drive(small, w, 9.0)
    assert target == 0.0 and limit == pytest.approx(m.friction + m.viscous * w + c * (w - w0))
    assert limit > m.coast(w)[1] + 0.5 * c * w
    # against the duty: braked too (reversed current), at least as hard as the brake
    assert m.drive(-small, w, 9.0)[1] >= m.brake(w, 9.0)[1] - 1e-12
    # above the dead band, faster than the duty's no-load speed: the winding's rate, not the line's
    u = 0.5
    w0 = u * m.ideal_speed
    target, limit = m.drive(u, w0 + 1.0, 9.0)
    assert 0 < target < w0 and limit == pytest.approx(c * 1.0 + m.friction + m.viscous * (w0 + 1.0))
    # motoring (below the no-load speed) is unchanged: the same torque line as before
    k = m.ideal_stall * (u - m.drive_offset) / (1 - m.drive_offset)
    assert m.drive(u, 1.0, 9.0)[1] == pytest.approx(k * (1 - 1.0 / w0) - m.friction - m.viscous * 1.0)

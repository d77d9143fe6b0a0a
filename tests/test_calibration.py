"""Kit parts against the published figures (../shared/specs/kit.md), measured in the physics.

Motors on a test bench (arena.kit.bench), sensors on the rover in small test worlds.
"""

import math

import numpy as np
import pytest

from arena.envs.single import ArenaEnv
from arena.kit.bench import MotorBench

# -- motors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("part, rpm, stall_ncm", [("motor-nxt", 170, 50), ("motor-large", 170, 40),
                                                  ("motor-medium", 250, 12)])
def test_no_load_speed_and_stall_torque(part, rpm, stall_ncm):
    bench = MotorBench(part)
    assert bench.run(1.0, 1.5).speed_rpm == pytest.approx(rpm, rel=0.05)
    assert bench.stall_torque_ncm() == pytest.approx(stall_ncm, rel=0.10)
    bench.close()


@pytest.mark.parametrize("part", ["motor-nxt", "motor-large", "motor-medium"])
def test_speed_is_proportional_to_voltage_and_duty(part):
    full = MotorBench(part, volts=9.0).run(1.0, 1.5).speed_rpm
    low = MotorBench(part, volts=7.2).run(1.0, 1.5).speed_rpm
    half = MotorBench(part, volts=9.0).run(0.5, 1.5).speed_rpm
    assert low / full == pytest.approx(0.8, rel=0.03)
    assert half / full == pytest.approx(0.5, abs=0.06)


def test_nxt_motor_stalls_under_11_5_ncm_below_40_percent():
    assert MotorBench("motor-nxt").run(0.40, 1.0, load_ncm=11.5).speed_rpm <= 0.0
    assert MotorBench("motor-nxt").run(0.60, 1.0, load_ncm=11.5).speed_rpm > 20.0


def test_running_torque_of_large_motor_keeps_it_turning():
    """EV3 large: 20 N*cm running torque -> about half speed at full duty."""
    r = MotorBench("motor-large").run(1.0, 1.5, load_ncm=20.0)
    assert 60 < r.speed_rpm < 110


def test_speed_regulation_holds_speed_under_load_and_reports_stall():
    r = MotorBench("motor-large").run({"run": 500}, 2.0, load_ncm=10.0)
    assert r.speed_rpm * 6 == pytest.approx(500, rel=0.05) and not r.stalled
    # pybricks' rule: pushing at the limit (integral paused) and slower than the stall speed (30
    # counts/s: 15 deg/s on the EV3's 2 counts per degree) for 200 ms: a shaft against a hard stop
    bench = MotorBench("motor-large", stop_deg=90.0)
    r = bench.run({"run": 500}, 1.0)
    assert r.stalled and abs(r.speed_rpm * 6) < 15 and 89 <= r.angle_deg <= 93
    r = MotorBench("motor-large", stop_deg=90.0).run({"run": 500}, 0.5)
    assert not r.stalled and r.angle_deg >= 89  # at the stop, but for less than 200 ms
    # a load it can barely turn (39 of its 40 N*cm) is not a stall: it creeps faster than 15 deg/s
    r = MotorBench("motor-large").run({"run": 500}, 1.0, load_ncm=39.0)
    assert not r.stalled and r.speed_rpm * 6 > 15
    # a load that drives it backwards faster than the stall speed is not a stall (pbio neither)
    r = MotorBench("motor-large").run({"run": 500}, 1.0, load_ncm=60.0)
    assert not r.stalled and r.speed_rpm * 6 < -30


def test_run_target_settles_on_the_encoder_degree():
    bench = MotorBench("motor-large")
    r = bench.run({"target": 360, "speed": 500}, 2.0)
    assert abs(r.angle_deg - 360) <= 1 and bench.motor.mode == "servo" and bench.motor.done


@pytest.mark.parametrize("dt", [0.010, 0.005])
def test_no_jitter_at_standstill_and_no_energy_gain(dt):
    """Holding still: the encoder stays put; coasting: a spun-up flywheel only slows down."""
    bench = MotorBench("motor-large", control_dt=dt)
    r = bench.run({"stop": "hold"}, 1.0)
    assert r.angle_deg == 0 and abs(r.speed_rpm) < 0.5
    bench.run(1.0, 0.5)
    speeds = [bench.run({"stop": "coast"}, 0.05).speed_rpm for _ in range(10)]
    assert all(b <= a + 1e-6 for a, b in zip(speeds, speeds[1:], strict=False))


# -- sensors on the rover --------------------------------------------------------------------------

def wall_world(tmp_path, root, distance_mm: float, incidence_deg: float = 0.0):
    """The rover at the origin facing +x; a wall `distance_mm` from the ultrasonic sensor's face,
    turned by the incidence angle."""
    sensor_x = 20 + 12  # rover: ultrasonic centre 20 mm ahead of the axle, 24 mm deep
    cx = sensor_x + distance_mm
    a = math.radians(incidence_deg)
    dx, dy = 800 * math.sin(a), 800 * math.cos(a)
    text = f"""
id = "Wall-v0"
time_limit = 5.0
[mat]
size = [6000, 4000]
resolution = 10.0
[[walls]]
start = [{cx + 10 * math.cos(a) - dx}, {-dy - 10 * math.sin(a)}]
end = [{cx + 10 * math.cos(a) + dx}, {dy - 10 * math.sin(a)}]
height = 300
thickness = 20
[[start]]
pos = [0, 0]
heading = 0
[[score]]
name = "time"
kind = "time"
weight = 0
"""
    f = tmp_path / f"wall-{distance_mm}-{incidence_deg}.toml"
    f.write_text(text)
    return f


def read_distance(world, steps=10, action=(0.0, 0.0)):
    env = ArenaEnv(world, "rover")
    env.reset(seed=0)
    for _ in range(steps):
        obs, *_ = env.step(np.array(action))
    env.close()
    return float(obs["S4/distance"][0])


@pytest.mark.parametrize("mm", [300, 500, 1000])
def test_ultrasonic_reads_a_wall_within_30_mm(tmp_path, root, mm):
    assert read_distance(wall_world(tmp_path, root, mm)) == pytest.approx(mm, abs=30)


def test_ultrasonic_nothing_seen_past_range_and_at_steep_incidence(tmp_path, root):
    assert read_distance(wall_world(tmp_path, root, 2700)) == 2550
    assert read_distance(wall_world(tmp_path, root, 500, incidence_deg=60)) == 2550
    assert read_distance(wall_world(tmp_path, root, 500, incidence_deg=20)) < 700


def test_touch_is_pressed_exactly_while_the_bumper_touches(tmp_path, root):
    world = wall_world(tmp_path, root, 150)
    env = ArenaEnv(world, "rover")
    env.reset(seed=0)
    pressed, contact = [], []
    for k in range(250):
        a = np.array([0.4, 0.4]) if k < 120 else np.array([-0.4, -0.4])
        obs, *_ = env.step(a)
        pressed.append(obs["S1/pressed"][0] == 1.0)
        bumper = env.robot.asm.touch_links["touch"]
        contact.append(any(env.sim.contacts(env.robot.body, link) for link in bumper))
    env.close()
    assert pressed == contact
    assert any(pressed) and not pressed[0] and not pressed[-1]


def test_gyro_follows_a_commanded_turn_within_3_degrees(tmp_path, root):
    world = wall_world(tmp_path, root, 3000)
    env = ArenaEnv(world, "rover")
    env.reset(seed=0)
    for _ in range(300):
        obs, *_ = env.step(np.array([0.3, -0.3]))  # clockwise on the spot
        if abs(math.degrees(env.robot.pose.yaw)) >= 90:
            break
    for _ in range(30):
        obs, *_ = env.step(np.array([0.0, 0.0]))
    true_cw = -math.degrees(env.robot.pose.yaw)
    assert true_cw > 85
    assert obs["S2/angle"][0] == pytest.approx(true_cw, abs=3.0)
    env.close()


def test_backlash_shows_on_the_encoder_when_the_drive_reverses():
    """Large motor: about 3 deg of play. Reversing, the encoder (motor side) moves by the play
    before the output does."""
    bench = MotorBench("motor-large")
    # duty, not run(): run() ramps its speed down first (pybricks' acceleration limit)
    bench.run(0.3, 0.5)
    out0, enc0 = bench.motor.angle_true, bench.motor.angle
    bench.run(-0.3, 0.02)
    out1, enc1 = bench.motor.angle_true, bench.motor.angle
    assert (enc0 - enc1) - (out0 - out1) == pytest.approx(3.0, abs=1.0)
    medium = MotorBench("motor-medium")
    medium.run({"run": 200}, 0.5)
    out0, enc0 = medium.motor.angle_true, medium.motor.angle
    medium.run({"run": -200}, 0.02)
    assert abs((enc0 - medium.motor.angle) - (out0 - medium.motor.angle_true)) <= 1.0


def test_motor_figures_do_not_depend_on_the_control_period():
    """docs/physics.md: the motor gives its figures at a 10 ms and at a 5 ms control period."""
    slow = MotorBench("motor-large", control_dt=0.010)
    fast = MotorBench("motor-large", control_dt=0.005)
    assert fast.run(1.0, 1.5).speed_rpm == pytest.approx(slow.run(1.0, 1.5).speed_rpm, rel=0.01)
    assert fast.run(1.0, 1.0, load_ncm=20.0).speed_rpm == pytest.approx(
        slow.run(1.0, 1.0, load_ncm=20.0).speed_rpm, rel=0.02)


def test_reset_angle_command_shifts_the_encoder_not_the_shaft():
    """A controller may send {"reset_angle": deg}; later targets count from the new zero."""
    from arena.controllers.protocol import validate_action

    assert validate_action({"A": {"reset_angle": 0}}, ["A"]) == {"A": {"reset_angle": 0.0}}
    bench = MotorBench("motor-large")
    bench.run({"target": 200, "speed": 500}, 1.0)
    shaft = bench.motor.angle_true
    bench.run({"reset_angle": 0}, 0.05)
    assert bench.motor.angle == pytest.approx(0, abs=1) and bench.motor.angle_true == pytest.approx(shaft, abs=1)
    bench.run({"target": 90, "speed": 500}, 2.5)  # the hold's integral takes out the last degrees
    assert bench.motor.angle == pytest.approx(90, abs=1)
    assert bench.motor.angle_true - shaft == pytest.approx(90, abs=2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gyro_at_rest_holds_a_steady_reading(seed):
    """A gyro powered up still reads steady at rest (ev3basic's measurement; docs/parts.md): no
    drift over a minute. Randomised runs (wide) model one powered up while moving: it drifts."""
    from arena.kit.sensors import GyroSensor

    g = GyroSensor("S2")
    g.reset(np.random.default_rng(seed))
    for _ in range(6000):  # 60 s at 10 ms
        g.update(0.0, 0.0, 0.01)
    assert g.read() == {"angle": 0, "rate": 0}
    g.reset(np.random.default_rng(seed), wide=True)
    for _ in range(6000):
        g.update(0.0, 0.0, 0.01)
    assert g.read()["angle"] != 0


def test_gyro_scale_follows_the_measured_turns():
    """A fast 360 deg turn read 351-355 clockwise and 359-363 counter-clockwise (ev3basic)."""
    from arena.kit.sensors import GyroSensor

    for seed in range(5):
        g = GyroSensor("S2")
        g.reset(np.random.default_rng(seed))
        step = math.radians(360.0) / 500  # 360 deg in 5 s
        for _ in range(500):
            g.update(-step / 0.01, -step, 0.01)  # clockwise (yaw decreasing)
        assert 351 <= g.read()["angle"] <= 355
        cw = g.angle
        for _ in range(500):
            g.update(step / 0.01, step, 0.01)
        assert 359 <= cw - g.angle <= 363


@pytest.mark.parametrize("cmd", [{"run": 500, "acc": 1e308}, {"target": 1e308, "speed": 500},
                                 {"by": -1e308, "speed": 500}, {"run": 1e308}, {"track": 1e308}])
def test_a_huge_finite_move_coasts_instead_of_driving_the_wrong_way(cmd):
    """Moves are scaled to pbio's counts (x2): 1e308 would become inf and the trajectory NaN."""
    bench = MotorBench("motor-large")
    r = bench.run(cmd, 0.3)
    assert bench.motor.mode == "coast" and r.applied_duty == 0.0 and r.angle_deg == 0


def test_settings_keys_are_pbio_counts_and_moves_are_degrees():
    """docs/brick.md: {"max_speed": 1000, "run": 800} runs at 500 deg/s (1000 counts/s)."""
    r = MotorBench("motor-large").run({"max_speed": 1000, "run": 800}, 1.5)
    assert r.speed_rpm * 6 == pytest.approx(500, rel=0.03)

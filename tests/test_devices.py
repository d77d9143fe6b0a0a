"""Motor and sensor models against the published figures (see docs/parts.md)."""

import math

import numpy as np
import pytest

from arena.kit.catalogue import catalogue
from arena.kit.motors import MotorModel
from arena.kit.sensors import ColorSensor, SensorFrame
from arena.world.mat import Mat


@pytest.mark.parametrize("part, rpm, stall_ncm", [("motor-nxt", 170, 50), ("motor-large", 170, 40),
                                                  ("motor-medium", 250, 12)])
def test_motor_model_matches_no_load_speed_and_stall_torque(part, rpm, stall_ncm):
    m = MotorModel.from_part(catalogue()[part])
    target, _ = m.drive(1.0, 0.0, 9.0)
    assert target * 60 / (2 * math.pi) == pytest.approx(rpm, rel=0.05)
    _, stall = m.drive(1.0, 0.0, 9.0)
    assert stall * 100 == pytest.approx(stall_ncm, rel=0.10)


def test_motor_speed_is_proportional_to_voltage():
    m = MotorModel.from_part(catalogue()["motor-nxt"])
    w9, _ = m.drive(1.0, 0.0, 9.0)
    w72, _ = m.drive(1.0, 0.0, 7.2)
    assert w72 / w9 == pytest.approx(0.8, rel=0.03)


def test_nxt_motor_stalls_under_load_below_40_percent():
    m = MotorModel.from_part(catalogue()["motor-nxt"])
    load = 0.115  # N*m
    assert m.drive(0.40, 0.0, 9.0)[1] < load  # cannot start against the load
    assert m.drive(1.0, 0.0, 9.0)[1] > load


def test_coast_and_brake_only_resist():
    m = MotorModel.from_part(catalogue()["motor-large"])
    assert m.coast(10.0) == (0.0, pytest.approx(m.friction + m.viscous * 10.0))
    assert m.brake(10.0, 9.0)[1] > m.coast(10.0)[1]


def _mat_with_line():
    mat = Mat(0.4, 0.2, 0.002)
    mat.stroke(np.array([[0.0, -0.1], [0.0, 0.1]]), 0.02, (15, 15, 15))
    return mat


def _read(sensor, mat, x, h=0.010):
    frame = SensorFrame(np.array([x, 0.0, h + 0.012]), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]))
    return sensor.read(frame, mat, 10.0)


def test_colour_sensor_black_white_and_edge_profile():
    mat = _mat_with_line()
    s = ColorSensor("S3", full=True, lens_offset=0.012)
    s.reset(np.random.default_rng(0))
    assert _read(s, mat, 0.0)["reflection"] < 15
    assert _read(s, mat, 0.1)["reflection"] > 80
    s.noise_pct, s.bias, s.gain = 0.0, 0.0, 1.0
    xs = np.linspace(0.0, 0.03, 31)
    profile = [_read(s, mat, x)["reflection"] for x in xs]
    assert all(b >= a for a, b in zip(profile, profile[1:], strict=False)), profile
    assert profile[0] < 15 and profile[-1] > 80


def test_colour_sensor_dims_with_height():
    mat = _mat_with_line()
    s = ColorSensor("S3", full=True, lens_offset=0.012)
    s.reset(np.random.default_rng(0))
    near, far = _read(s, mat, 0.1, 0.010)["reflection"], _read(s, mat, 0.1, 0.050)["reflection"]
    assert far < near / 3

"""The physics layer: settings reach pybullet, time steps are exact, straight is straight."""

import numpy as np
import pytest

from arena.robot.body import Robot
from arena.robot.spec import load_robot
from arena.sim import Sim


def test_control_period_must_be_a_multiple_of_physics():
    with pytest.raises(ValueError, match="whole multiple"):
        Sim(0.004, 0.010)
    s = Sim(0.005, 0.010)
    assert s.substeps == 2
    s.close()


@pytest.fixture()
def rover(root):
    sim = Sim()
    sim.add_ground()
    r = Robot(load_robot(root / "robots" / "rover.toml"), sim.control_dt)
    r.spawn(sim, 0.0, 0.0, 0.0, [np.random.default_rng(i) for i in range(r.n_devices())])
    yield sim, r
    sim.close()


def test_every_link_gets_its_own_mass_inertia_and_friction(rover):
    """pybullet silently applies a changeDynamics call to the base when it also carries a
    body-wide setting; each link must still end up with its own values."""
    sim, r = rover
    for i, link in enumerate((r.asm.base, *r.asm.links)):
        mass, inertia, friction = sim.dynamics(r.body, i - 1)
        assert mass == pytest.approx(link.mass)
        assert inertia == pytest.approx(link.inertia)
        assert friction == pytest.approx(link.friction), link.name


def _drive(sim, r, cmds, steps):
    for _ in range(steps):
        r.command(cmds)
        r.control()
        for _ in range(sim.substeps):
            r.physics()
            sim.step()
    r._fetch_state()
    return r.pose


def test_equal_duty_drives_straight_and_opposite_duty_turns(rover):
    sim, r = rover
    start = _drive(sim, r, {"B": 0.0, "C": 0.0}, 50)  # settle on the floor
    p = _drive(sim, r, {"B": 0.5, "C": 0.5}, 300)
    assert p.x - start.x > 0.5
    assert abs(p.y - start.y) < 0.01 and abs(p.yaw - start.yaw) < np.radians(1.0)
    p2 = _drive(sim, r, {"B": 0.5, "C": -0.5}, 30)
    assert p2.yaw < p.yaw - 0.5  # left wheel forward, right back: clockwise (negative yaw)

"""Robot builds: every file in robots/ checks clean and drives; extends; arms; gears; check; URDF."""

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, arena_cmd

from arena.envs.single import ArenaEnv
from arena.errors import SpecError
from arena.robot.assembly import assemble, centre_of_mass
from arena.robot.check import box_penetration, check_robot
from arena.robot.spec import load_robot, parse_gear, read_robot
from arena.world.spec import load_world

ROBOTS = sorted((ROOT / "robots").glob("*.toml"))


def run(*args, cwd=ROOT):
    return subprocess.run(arena_cmd(*args), capture_output=True, text=True, cwd=cwd, timeout=1800)


# -- every bundled robot -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ROBOTS, ids=lambda p: p.stem)
def test_every_robot_passes_check_in_line_follow(path):
    r = check_robot(path, world=load_world(ROOT / "worlds" / "line-follow.toml"))
    assert r.ok, "\n".join(map(str, r.problems))
    assert r.tilt is not None and r.tilt < 5.0


def _drive(env, cmds, seconds):
    for _ in range(int(round(seconds / env.sim.control_dt))):
        env.step_commands(cmds)
    return env.robot.pose


@pytest.mark.parametrize("path", ROBOTS, ids=lambda p: p.stem)
def test_every_robot_drives_forward_and_turns(path):
    env = ArenaEnv("line-follow", robot=path)
    try:
        env.reset(seed=0)
        p0 = env.robot.pose
        heading = np.array((math.cos(p0.yaw), math.sin(p0.yaw)))
        p1 = _drive(env, {"B": 0.6, "C": 0.6}, 1.0)
        ahead = float(np.dot((p1.x - p0.x, p1.y - p0.y), heading))
        side = abs(heading[0] * (p1.y - p0.y) - heading[1] * (p1.x - p0.x))
        assert ahead > 0.05, f"equal positive duty moved it {ahead * 1000:.0f} mm along its heading"
        assert side < 0.3 * ahead
        assert p1.up > 0.95
        env.reset(seed=0)
        p0 = env.robot.pose
        p1 = _drive(env, {"B": -0.6, "C": 0.6}, 0.3)  # about 5 rad/s: stay under half a turn
        turned = (p1.yaw - p0.yaw + math.pi) % (2 * math.pi) - math.pi
        assert turned > math.radians(20), "B back and C forward turns it left (counter-clockwise)"
        assert math.hypot(p1.x - p0.x, p1.y - p0.y) < 0.05
    finally:
        env.close()


def test_rover_keeps_its_port_layout():
    spec = load_robot(ROOT / "robots" / "rover.toml")
    assert {p.port: p.id for p in spec.parts if p.port} == {
        "B": "left_motor", "C": "right_motor", "S1": "touch", "S2": "gyro", "S3": "color", "S4": "ultrasonic"}


def test_sumo_is_small_heavy_and_low():
    r = check_robot(ROOT / "robots" / "sumo.toml", physics=False)
    assert r.size[0] <= 150 and r.size[1] <= 150 and r.mass <= 1.0
    assert r.mass > 0.85 and r.size[2] < 100
    asm = assemble(r.spec)
    assert centre_of_mass(asm)[2] < 0.045  # m: low


def test_explorer_extends_rover_with_side_sonars():
    spec = load_robot(ROOT / "robots" / "explorer.toml")
    rover = load_robot(ROOT / "robots" / "rover.toml")
    assert spec.extends and Path(spec.extends[0]).name == "rover.toml"
    ids = {p.id for p in spec.parts}
    assert not ids & {"touch", "bumper", "gyro"} and {"left_sonar", "right_sonar"} <= ids
    assert spec.part("brick").color == "#5a9e6f" and spec.part("brick").pos == rover.part("brick").pos
    sonars = {p.port: p for p in spec.sensors if p.part == "ultrasonic-sensor"}
    assert set(sonars) == {"S1", "S2", "S4"}
    assert sonars["S1"].rpy[2] == 90 and sonars["S2"].rpy[2] == -90


def test_forklift_arm_moves_within_its_limits():
    env = ArenaEnv("line-follow", robot=ROOT / "robots" / "forklift.toml")
    try:
        env.reset(seed=0)
        rb = env.robot
        j = rb.joint_of["A"]
        assert j is not None and rb.asm.links[j].limits is not None
        lo, hi = (math.degrees(x) for x in rb.asm.links[j].limits)
        assert (lo, hi) == pytest.approx((0.0, 60.0))
        angles = []
        for cmd in ({"A": 0.8}, {"A": -0.8}):
            for _ in range(150):
                env.step_commands(cmd)
                angles.append(math.degrees(env.sim.joint_states(rb.body, [j])[0][0]))
            if cmd["A"] > 0:
                assert angles[-1] == pytest.approx(hi, abs=3.0), "positive duty lifts the fork to its upper limit"
                # the motor's encoder sees the fork through the 12:36 gear: 3 motor turns per fork turn
                assert rb.motors["A"].angle == pytest.approx(angles[-1] * 3, abs=10)
        assert angles[-1] == pytest.approx(lo, abs=3.0), "negative duty lowers it to its lower limit"
        assert min(angles) > lo - 3.0 and max(angles) < hi + 3.0
        assert rb.pose.up > 0.95
    finally:
        env.close()


# -- gears ----------------------------------------------------------------------------------------------
def test_parse_gear():
    assert parse_gear(0.5) == 0.5
    assert parse_gear("12:36") == pytest.approx(1 / 3)
    assert parse_gear("40:8") == pytest.approx(5.0)
    for bad in ("12-36", "0:5", "a:b", True):
        with pytest.raises(ValueError, match="teeth"):
            parse_gear(bad)


def test_gear_trades_speed_for_torque(tmp_path):
    """Geared 12:36 the wheels turn at a third of the speed with three times the torque."""
    geared = tmp_path / "slow.toml"
    geared.write_text(f'extends = "{ROOT / "robots" / "rover.toml"}"\nname = "slow"\n'
                      '[[parts]]\nid = "left_wheel"\ngear = "12:36"\n[[parts]]\nid = "right_wheel"\ngear = "12:36"\n')
    spec = load_robot(geared)
    assert assemble(spec).motor_gear == {"left_motor": pytest.approx(1 / 3), "right_motor": pytest.approx(1 / 3)}
    dist = {}
    for name, robot in (("rover", ROOT / "robots" / "rover.toml"), ("slow", geared)):
        env = ArenaEnv("line-follow", robot=robot)
        try:
            env.reset(seed=0)
            m = env.robot.motors["B"]
            _, t1 = m.physics(0.0)
            p0 = env.robot.pose
            p1 = _drive(env, {"B": 0.8, "C": 0.8}, 0.8)  # short of the table wall
            dist[name] = math.hypot(p1.x - p0.x, p1.y - p0.y)
            torque = m.physics(0.0)[1]
            dist[name + "_torque"] = torque
        finally:
            env.close()
    assert dist["slow"] == pytest.approx(dist["rover"] / 3, rel=0.25)
    assert dist["slow_torque"] == pytest.approx(3 * dist["rover_torque"], rel=0.01)


# -- extends --------------------------------------------------------------------------------------------
BASE = '''name = "base"
[[parts]]
id = "brick"
part = "ev3-brick"
pos = [-20, 0, 76]
[[parts]]
id = "lm"
part = "motor-large"
port = "B"
pos = [-40, 30, 28]
[[parts]]
id = "rm"
part = "motor-large"
port = "C"
pos = [-40, -30, 28]
[[parts]]
id = "lw"
part = "wheel-56x28"
motor = "lm"
pos = [0, 58, 28]
[[parts]]
id = "rw"
part = "wheel-56x28"
motor = "rm"
pos = [0, -58, 28]
[[parts]]
id = "caster"
part = "caster-ball"
pos = [-110, 0, 9]
[[parts]]
id = "color"
part = "color-sensor"
port = "S3"
pos = [40, 0, 22]
'''


def test_extends_overrides_adds_removes_and_recolours(tmp_path):
    (tmp_path / "base.toml").write_text(BASE)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "child.toml").write_text('''extends = "../base"
name = "child"
remove = ["color"]
[[parts]]
id = "lw"
part = "wheel-43x21"
[[parts]]
id = "brick"
pos = [-24, 0, 76]
color = "#ff8800"
[[parts]]
id = "sonar"
part = "ultrasonic-sensor"
port = "S4"
pos = [20, 0, 112]
''')
    spec = load_robot(sub / "child.toml")
    assert spec.name == "child" and [p.id for p in spec.parts] == ["brick", "lm", "rm", "lw", "rw", "caster", "sonar"]
    assert spec.part("lw").part == "wheel-43x21" and spec.part("lw").motor == "lm"  # replaced, keeps its motor
    assert spec.part("brick").pos == (-24, 0, 76) and spec.part("brick").color == "#ff8800"
    assert spec.part("brick").part == "ev3-brick"
    assert check_robot(sub / "child.toml", physics=False).ok


def test_extends_errors_name_the_file_and_key(tmp_path):
    (tmp_path / "base.toml").write_text(BASE.replace('port = "S3"', 'port = "S9"'))
    (tmp_path / "child.toml").write_text('extends = "base"\nremove = ["nothing"]\n'
                                         '[[parts]]\nid = "rw"\nmotor = "lm"\n')
    spec, probs = read_robot(tmp_path / "child.toml")
    where = {(Path(e.file).name, e.key) for e in probs}
    assert ("base.toml", "parts[6].port") in where  # an inherited value names the file that set it
    assert ("child.toml", "remove[0]") in where
    assert ("child.toml", "parts[0].motor") in where  # both wheels on one motor: the override's key
    assert all(e.fix for e in probs)


def test_extends_cycles_and_missing_bases_are_errors(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b"\nname = "a"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\nname = "b"\n')
    with pytest.raises(SpecError, match="cycle") as err:
        load_robot(tmp_path / "a.toml")
    assert err.value.key == "extends"
    (tmp_path / "c.toml").write_text('extends = "no-such-robot"\nname = "c"\n')
    with pytest.raises(SpecError, match="no robot") as err:
        load_robot(tmp_path / "c.toml")
    assert err.value.key == "extends" and err.value.fix


def test_extends_by_name_finds_bundled_robots(tmp_path):
    (tmp_path / "mine.toml").write_text('extends = "rover"\nname = "mine"\n[[parts]]\nid = "caster"\npart = "skid"\n'
                                        'pos = [-110, 0, 8]\n')
    spec = load_robot(tmp_path / "mine.toml")
    assert spec.part("caster").part == "skid" and len(spec.parts) == 12


# -- check: every problem -------------------------------------------------------------------------------
def test_check_reports_every_problem_with_key_and_fix(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text(BASE + '''[[parts]]
id = "mystery"
part = "motor-hyper"
pos = [0, 0, 0]
[[parts]]
id = "dup"
part = "touch-sensor"
port = "S3"
pos = [80, 0, 44]
[[parts]]
id = "free_wheel"
part = "wheel-43x21"
pos = [-60, 0, 22]
[[parts]]
id = "sensor_no_port"
part = "gyro-sensor"
pos = [-20, 0, 112]
''')
    r = check_robot(f)
    keys = {e.key: str(e) for e in r.problems}
    assert "parts[7].part" in keys and "unknown part" in keys["parts[7].part"]
    assert "parts[8].port" in keys and "used by both" in keys["parts[8].port"]
    assert "parts[9].motor" in keys and "not on a motor" in keys["parts[9].motor"]
    assert "parts[10].port" in keys and "needs a sensor port" in keys["parts[10].port"]
    assert all("fix:" in s for s in keys.values())


def test_check_finds_overlaps_but_allows_mounted_parts(tmp_path):
    f = tmp_path / "overlap.toml"
    # the colour sensor inside the brick; the left wheel pushed onto its own motor (allowed)
    f.write_text(BASE.replace("pos = [40, 0, 22]", "pos = [-20, 0, 76]").replace("pos = [0, 58, 28]", "pos = [0, 50, 28]"))
    r = check_robot(f, physics=False)
    msgs = [str(e) for e in r.problems]
    assert len(msgs) == 1 and "'color' overlaps part 'brick'" in msgs[0] and r.problems[0].key == "parts[6].pos"


def test_box_penetration_rule():
    eye = np.eye(3)
    a = (np.zeros(3), eye, np.array([5.0, 5.0, 5.0]))
    assert box_penetration(a, (np.array([10.0, 0, 0]), eye, np.array([5.0, 5, 5]))) == pytest.approx(0.0)  # touching
    assert box_penetration(a, (np.array([9.0, 0, 0]), eye, np.array([5.0, 5, 5]))) == pytest.approx(1.0)
    c, s = math.cos(math.pi / 4), math.sin(math.pi / 4)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    assert box_penetration(a, (np.array([12.0, 0, 0]), rot, np.array([5.0, 5, 5]))) == pytest.approx(5 * math.sqrt(2) - 7)


def test_check_finds_a_robot_that_tips_or_drags(tmp_path):
    f = tmp_path / "tippy.toml"
    f.write_text(BASE.replace('[[parts]]\nid = "caster"\npart = "caster-ball"\npos = [-110, 0, 9]\n', ""))
    r = check_robot(f)
    assert any("tips over" in str(e) for e in r.problems) or any("touches the ground" in str(e) for e in r.problems)
    g = tmp_path / "drag.toml"
    g.write_text(BASE.replace("pos = [40, 0, 22]", "pos = [40, 0, 12]"))  # the colour sensor on the mat
    r = check_robot(g)
    assert [e.key for e in r.problems] == ["parts[6].pos"] and "touches the ground" in str(r.problems[0])


def test_check_against_world_limits(tmp_path):
    text = (ROOT / "worlds" / "line-follow.toml").read_text()
    w = tmp_path / "tiny.toml"
    w.write_text(text.replace("size = [300, 250, 250]", "size = [200, 100, 250]").replace("mass = 1.5 ", "mass = 0.5 "))
    r = check_robot(ROOT / "robots" / "rover.toml", world=load_world(w))
    msgs = " | ".join(str(e) for e in r.problems)
    assert len(r.problems) == 3 and "length" in msgs and "width" in msgs and "0.5 kg limit" in msgs


def test_cli_check_lists_every_problem_without_traceback(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text(BASE + '[[parts]]\nid = "x"\npart = "motor-hyper"\npos = [0, 0, 0]\n'
                 '[[parts]]\nid = "y"\npart = "gyro-sensor"\npos = [0, 0, 200]\nwobble = 3\n')
    p = run("check", str(f))
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "parts[7].part" in p.stderr and "parts[8].port" in p.stderr and "parts[8].wobble" in p.stderr
    assert "3 problems" in p.stderr
    p = run("check", "robots/sumo.toml", "--world", "line-follow")
    assert p.returncode == 0 and "fits LineFollow-v0" in p.stdout


# -- pictures, parts list, URDF --------------------------------------------------------------------------
def test_robot_show_draws_and_lists_parts(tmp_path):
    out = tmp_path / "f.png"
    p = run("robot", "show", "forklift", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "lift-fork" in p.stdout and "motor-large" in p.stdout and "719" in p.stdout
    assert out.stat().st_size > 5000 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_robot_sheet_has_both_views():
    from arena.robot.draw import parts_list, robot_sheet

    spec = load_robot(ROOT / "robots" / "rover.toml")
    img = robot_sheet(spec)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[1] > img.shape[0]
    assert (np.abs(img.astype(int) - (32, 32, 32)).sum(axis=2) < 10).sum() > 1000  # the black tyres
    rows = parts_list(spec)
    assert sum(n for _, _, n, _ in rows) == 12 and sum(m for *_, m in rows) == pytest.approx(spec.mass)


@pytest.mark.parametrize("name", ["rover", "forklift"])
def test_urdf_loads_with_same_mass_joints_and_drive_sign(tmp_path, name):
    import pybullet as pb

    from arena.robot.urdf import write_urdf

    asm = assemble(load_robot(ROOT / "robots" / f"{name}.toml"))
    p = run("robot", "urdf", name, "--out", str(tmp_path))
    assert p.returncode == 0, p.stderr
    path = write_urdf(asm, tmp_path)
    c = pb.connect(pb.DIRECT)
    try:
        pb.setGravity(0, 0, -9.81, physicsClientId=c)
        pb.createMultiBody(0, pb.createCollisionShape(pb.GEOM_PLANE, physicsClientId=c), physicsClientId=c)
        com = asm.com
        b = pb.loadURDF(str(path), (com[0], com[1], com[2] + 0.001), flags=pb.URDF_USE_INERTIA_FROM_FILE,
                        physicsClientId=c)
        n = pb.getNumJoints(b, physicsClientId=c)
        assert n == len(asm.links)
        mass = sum(pb.getDynamicsInfo(b, i, physicsClientId=c)[0] for i in range(-1, n))
        assert mass == pytest.approx(asm.mass, rel=1e-6)
        for i, lk in enumerate(asm.links):
            info = pb.getJointInfo(b, i, physicsClientId=c)
            assert info[1].decode() == lk.name + "_joint"
            assert info[2] == (pb.JOINT_REVOLUTE if lk.joint == "revolute" else pb.JOINT_FIXED)
            if lk.joint == "revolute":
                assert info[13] == pytest.approx(lk.axis)
                if lk.limits is not None:
                    assert (info[8], info[9]) == pytest.approx(lk.limits)
        wheels = list(asm.wheel_link.values())
        pb.setJointMotorControlArray(b, wheels, pb.VELOCITY_CONTROL, targetVelocities=[8.0] * len(wheels),
                                     forces=[0.3] * len(wheels), physicsClientId=c)
        for j in asm.arm_link.values():
            pb.setJointMotorControl2(b, j, pb.VELOCITY_CONTROL, targetVelocity=0, force=1.0, physicsClientId=c)
        x0 = pb.getBasePositionAndOrientation(b, physicsClientId=c)[0][0]
        for _ in range(240):
            pb.stepSimulation(physicsClientId=c)
        x1 = pb.getBasePositionAndOrientation(b, physicsClientId=c)[0][0]
        assert x1 - x0 > 0.05, "positive wheel joint speed drives forward (+x), as in the arena"
    finally:
        pb.disconnect(physicsClientId=c)


# -- schema ---------------------------------------------------------------------------------------------
def test_every_robot_file_validates_against_the_json_schema():
    import json

    from arena.tomlio import load_toml

    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "robot.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    for path in ROBOTS:
        errors = list(v.iter_errors(load_toml(path)))
        assert not errors, f"{path.name}: {errors[0].message}"
    bad = {"name": "x", "parts": [{"id": "a", "part": "ev3-brick", "pos": [0, 0], "colour": "red"}]}
    assert len(list(v.iter_errors(bad))) >= 2


# -- attachment, big builds (issue 14) -----------------------------------------------------------------
def _top_of(spec, pid):
    from arena.robot.geometry import part_boxes

    return max(float((c + np.abs(r) @ h)[2]) for c, r, h in part_boxes(spec)[pid])


@pytest.mark.parametrize("gap, attached", [(0.0, True), (10.0, True), (30.0, False), (270.0, False)])
def test_a_part_floating_off_the_structure_is_refused_with_its_key(tmp_path, gap, attached):
    from arena.kit.catalogue import catalogue

    top = _top_of(load_robot(_write(tmp_path, BASE)), "brick")
    z = top + catalogue()["gyro-sensor"].size[2] / 2 + gap
    spec, probs = read_robot(_write(tmp_path, BASE + f'[[parts]]\nid = "gyro"\npart = "gyro-sensor"\nport = "S2"\n'
                                                     f'pos = [-20, 0, {z}]\n'))
    if attached:
        assert probs == []
    else:
        assert [e.key for e in probs] == ["parts[7].pos"] and "not attached" in probs[0].problem
        assert f"{gap - 0.5:.0f}" <= probs[0].problem.split(": ")[1].split()[0]  # says how far it is


def test_a_wheel_away_from_its_motor_is_refused(tmp_path):
    spec, probs = read_robot(_write(tmp_path, BASE.replace("pos = [0, 58, 28]", "pos = [0, 158, 28]")))
    assert "parts[3].pos" in [e.key for e in probs] and any("not on its motor 'lm'" in e.problem for e in probs)
    with pytest.raises(SpecError, match="parts\\[3\\].pos"):  # a run refuses it too
        load_robot(_write(tmp_path, BASE.replace("pos = [0, 58, 28]", "pos = [0, 158, 28]")))


def _write(tmp_path, text, name="r.toml"):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_the_broad_phase_finds_what_testing_every_pair_finds(tmp_path):
    """Random parts at random angles (seeded): the sorted sweep and the vectorised test report the
    same overlapping pairs, with the same depths, as box_penetration over every pair."""
    from arena.robot.check import mounted_pairs
    from arena.robot.geometry import Boxes, overlaps, part_boxes

    rng = np.random.default_rng(14)
    kinds = ["beam-15", "motor-large", "gyro-sensor", "frame-5x7", "caster-ball", "plate-6x8"]
    xyz, rpy = rng.uniform(-150, 150, (60, 3)), rng.uniform(-90, 90, (60, 3))
    text = BASE + "".join(f'[[parts]]\nid = "p{i}"\npart = "{kinds[i % len(kinds)]}"\n'
                          f'pos = [{x:.1f}, {y:.1f}, {z:.1f}]\nrpy = [{a:.0f}, {b:.0f}, {c:.0f}]\n'
                          for i, ((x, y, z), (a, b, c)) in enumerate(zip(xyz, rpy, strict=True)))
    spec, _ = read_robot(_write(tmp_path, text))
    boxes = part_boxes(spec)
    ids = [p.id for p in spec.parts]
    brute = {}
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            d = max(box_penetration(x, y) for x in boxes[a] for y in boxes[b])
            if d > 1.0:
                brute[(a, b)] = d
    a, b, d = overlaps(Boxes(spec), mounted_pairs(spec), 1.0)
    fast = {(ids[x], ids[y]): v for x, y, v in zip(a.tolist(), b.tolist(), d.tolist(), strict=True)}
    assert len(brute) > 20 and fast.keys() == brute.keys()
    assert all(fast[k] == pytest.approx(brute[k], abs=1e-6) for k in brute)


def test_check_of_1000_motors_finishes_and_caps_its_report(tmp_path, capsys):
    """All 1,000 motors in one spot: every pair overlaps (the worst case for the pair search).
    The report lists the first pairs and counts the rest; the CLI prints the first problems."""
    from arena.cli import main

    f = _write(tmp_path, 'name = "many"\n[[parts]]\nid = "brick"\npart = "ev3-brick"\npos = [0, 0, 60]\n'
               + "".join(f'[[parts]]\nid = "m{i}"\npart = "motor-large"\npos = [0, 0, 150]\n' for i in range(1000)))
    r = check_robot(f, physics=False)
    more = [e for e in r.problems if "more pairs of parts overlap" in e.problem]
    assert len(more) == 1 and more[0].problem.startswith(f"{1000 * 999 // 2 - 20:,} more")
    assert main(["check", str(f)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 32 and "more problems (not shown" in err[-2] and err[-1].endswith(f"{len(r.problems):,} problems")


def test_a_10000_part_file_is_refused_by_the_part_limit(tmp_path):
    from arena.robot.spec import MAX_PARTS

    f = _write(tmp_path, 'name = "many"\n' + "".join(f'[[parts]]\nid = "p{i}"\npart = "beam-15"\npos = [0, 0, {i}]\n'
                                                    for i in range(10_000)))
    spec, probs = read_robot(f)
    assert spec is None and len(probs) == 1 and probs[0].key == "parts" and f"limit of {MAX_PARTS:,}" in probs[0].problem

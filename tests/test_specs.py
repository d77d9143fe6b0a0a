"""Robot and world files: loading, and errors that name the file, the key and the fix."""

from pathlib import Path

import pytest

from arena.errors import SpecError
from arena.robot.spec import load_robot
from arena.units import parse_length
from arena.world.spec import load_world


def test_parse_length_units():
    assert parse_length(12) == 12.0
    assert parse_length("3 stud") == 24.0
    assert parse_length("2 plate") == pytest.approx(6.4)
    assert parse_length("1 brick") == pytest.approx(9.6)
    with pytest.raises(ValueError, match="stud"):
        parse_length("3 furlong")
    with pytest.raises(ValueError):
        parse_length(True)


def test_rover_loads_with_its_port_layout(root):
    spec = load_robot(root / "robots" / "rover.toml")
    ports = {p.port: p.part for p in spec.parts if p.port}
    assert ports == {"B": "motor-large", "C": "motor-large", "S1": "touch-sensor", "S2": "gyro-sensor",
                     "S3": "color-sensor", "S4": "ultrasonic-sensor"}
    assert 0.5 < spec.mass < 1.0


ROVER_HEAD = 'name = "r"\n[[parts]]\nid = "brick"\npart = "ev3-brick"\npos = [0, 0, 60]\n'


@pytest.mark.parametrize("body, key, words", [
    ('[[parts]]\nid = "m"\npart = "motor-hyper"\npos = [0, 0, 0]\n', "parts[1].part", "unknown part"),
    ('[[parts]]\nid = "m"\npart = "motor-large"\nport = "B"\npos = [0, 0, 0]\n'
     '[[parts]]\nid = "n"\npart = "motor-large"\nport = "B"\npos = [0, 0, 0]\n', "parts[2].port", "used by both"),
    ('[[parts]]\nid = "w"\npart = "wheel-56x28"\npos = [0, 0, 0]\n', "parts[1].motor", "not on a motor"),
    ('[[parts]]\nid = "s"\npart = "color-sensor"\npos = [0, 0, 0]\n', "parts[1].port", "needs a sensor port"),
    ('[[parts]]\nid = "s"\npart = "color-sensor"\nport = "S9"\npos = [0, 0, 0]\n', "parts[1].port", "S1"),
    ('[[parts]]\nid = "s"\npart = "color-sensor"\nport = "S1"\npos = [0, "x", 0]\n', "parts[1].pos[1]", "length"),
    ('[[parts]]\nid = "s"\npart = "color-sensor"\nport = "S1"\npos = [0, 0, 0]\ncolour = "red"\n', "parts[1].colour", "unknown key"),
])
def test_robot_errors_name_file_key_and_fix(tmp_path, body, key, words):
    f = tmp_path / "bad.toml"
    f.write_text(ROVER_HEAD + body)
    with pytest.raises(SpecError) as err:
        load_robot(f)
    e = err.value
    assert e.file == str(f) and e.key == key
    assert words in str(e)
    assert "fix:" in str(e)


def test_toml_syntax_error_is_reported(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("name = \n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_robot(f)


def test_line_follow_world(root):
    w = load_world(root / "worlds" / "line-follow.toml")
    assert w.id == "LineFollow-v0" and w.version == 0
    assert w.time_limit == 180.0
    assert w.path("track").width == 20 and w.path("track").closed


@pytest.mark.parametrize("edit, key", [
    (('id = "LineFollow-v0"', 'id = "line follow"'), "id"),
    (('path = "track"\nat', 'path = "trak"\nat'), "start[0].path"),
    (('kind = "path_progress"', 'kind = "vibes"'), "score[0].kind"),
    (('time_limit = 180.0', 'time_limit = "long"'), "time_limit"),
])
def test_world_errors_name_the_key(tmp_path, root, edit, key):
    text = (root / "worlds" / "line-follow.toml").read_text()
    assert edit[0] in text
    f = tmp_path / "w.toml"
    f.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(SpecError) as err:
        load_world(f)
    assert err.value.key == key and err.value.fix


def test_a_mat_can_be_a_picture(tmp_path, root):
    """A printed mat as a PNG: the colour sensor reads what is printed on it."""
    import imageio.v3 as iio
    import numpy as np

    from arena.envs.single import ArenaEnv

    pic = np.full((140, 200, 3), 250, dtype=np.uint8)
    pic[:, 95:105] = 10  # a 20 mm black band across the middle of a 400 x 280 mm mat
    iio.imwrite(tmp_path / "mat.png", pic)
    (tmp_path / "w.toml").write_text('''id = "Picture-v0"
time_limit = 5.0
[mat]
size = [400, 280]
image = "mat.png"
[[start]]
pos = [-40, 0]
heading = 0
[[score]]
name = "time"
kind = "time"
weight = 0
''')
    env = ArenaEnv(tmp_path / "w.toml", "rover")
    obs, _ = env.reset(seed=0)  # colour sensor 40 mm ahead of the axle: over the band
    assert obs["S3/reflection"][0] < 15
    env.close()
    (tmp_path / "bad.toml").write_text((tmp_path / "w.toml").read_text().replace("mat.png", "nope.png"))
    with pytest.raises(SpecError) as err:
        load_world(tmp_path / "bad.toml")
    assert err.value.key == "mat.image"


def test_an_unreadable_mat_picture_names_the_key(tmp_path):
    from arena.world.scene import World

    (tmp_path / "mat.png").write_bytes(b"not a picture at all")
    (tmp_path / "w.toml").write_text('id = "Broken-v0"\ntime_limit = 5.0\n[mat]\nsize = [400, 280]\n'
                                     'image = "mat.png"\n[[start]]\npos = [0, 0]\n'
                                     '[[score]]\nname = "time"\nkind = "time"\nweight = 0\n')
    with pytest.raises(SpecError) as err:
        _ = World(load_world(tmp_path / "w.toml")).mat  # the mat is drawn when first used
    assert err.value.key == "mat.image" and "cannot read the picture" in str(err.value)


# -- numbers, typos and every problem (issue 14) ------------------------------------------------------
READERS = {  # name -> (read key x, x is a list)
    "num": (lambda t: t.num("x"), False), "vec": (lambda t: t.vec("x", 1), True), "nums": (lambda t: t.nums("x"), True),
    "length": (lambda t: t.vec("x", 1, conv=parse_length), True),
}


@pytest.mark.parametrize("reader, value, words", [
    *((r, v, w) for r in READERS for v, w in ((float("nan"), "finite"), (float("inf"), "finite"),
                                               (-float("inf"), "finite"), (1e300, "too large"))),
    ("length", "nan mm", "finite"), ("length", "1e400 stud", "finite"), ("length", "1e9 cm", "too large"),
])
def test_every_number_reader_refuses_non_finite_and_absurd_values(reader, value, words):
    from arena.tomlio import Table

    read, listed = READERS[reader]
    with pytest.raises(SpecError) as err:
        read(Table({"x": [value] if listed else value}, "f.toml", "t"))
    assert words in err.value.problem and err.value.key == ("t.x[0]" if listed else "t.x") and err.value.fix


def test_int_reader_refuses_absurd_values():
    from arena.tomlio import Table

    with pytest.raises(SpecError, match="too large"):
        Table({"n": 2**62}, "f.toml").int("n")


def test_unknown_keys_name_the_closest_known_one():
    from arena.tomlio import Table

    t = Table({"time_limt": 3, "zzz": 1}, "w.toml")
    t.raw("time_limit", None)
    t.raw("players", None)
    bad = {e.key: e.fix for e in t.unknown()}
    assert "did you mean `time_limit`" in bad["time_limt"] and "use one of: players, time_limit" in bad["zzz"]


BROKEN = Path(__file__).resolve().parent / "broken"


def test_a_world_reports_every_problem_and_the_loader_names_the_typo():
    from arena.world.spec import read_world

    spec, probs = read_world(BROKEN / "worlds" / "three-errors.toml")
    assert spec is None and [e.key for e in probs] == ["zones[0].center[0]", "start[0].pos", "colour"]
    with pytest.raises(SpecError) as err:  # "time_limit missing" alone hid the typo behind it
        load_world(BROKEN / "worlds" / "typo-time-limit.toml")
    assert err.value.key == "time_limt" and "did you mean `time_limit`" in str(err.value) and "1 more problem" in str(err.value)


def test_mat_size_and_pixel_limits(tmp_path, root):
    from arena.world.mat import MAX_MAT_PIXELS, Mat

    for size in ((1e6, 1e6), (float("nan"), 1.0), (float("inf"), 1.0), (0.0, 1.0)):
        with pytest.raises(ValueError, match="pixels"):
            Mat(*size, 0.002)  # 1 km square would have asked numpy for terabytes
    assert Mat(2.0, 2.0, 0.001).rgb.shape == (2000, 2000, 3) and 2000 * 2000 <= MAX_MAT_PIXELS
    text = (root / "worlds" / "line-follow.toml").read_text()
    for size, res, key in (("[1e9, 1e9]", "2.0", "mat.size[0]"), ("[9000, 9000]", "2.0", "mat.resolution"),
                           ("[2000, 1400]", "0.5", "mat.resolution")):
        f = tmp_path / "w.toml"
        f.write_text(text.replace("size = [2000, 1400]", f"size = {size}").replace("resolution = 2.0", f"resolution = {res}"))
        with pytest.raises(SpecError) as err:
            load_world(f)
        assert err.value.key == key


def test_start_off_the_mat_and_a_missing_default_robot(tmp_path):
    from arena.world.checks import robot_problem
    from arena.world.spec import read_world

    base = (BROKEN / "worlds" / "start-off-mat.toml").read_text()
    f = tmp_path / "w.toml"
    f.write_text(base.replace("pos = [5000, 0]", "pos = [1000, 700]"))  # on the corner: still on the mat
    spec, probs = read_world(f)
    assert probs == [] and robot_problem(spec) is None
    f.write_text(base.replace("pos = [5000, 0]", "pos = [1000.5, 0]").replace('robot = "rover"', 'robot = "nobody"'))
    _, probs = read_world(f)
    assert [e.key for e in probs] == ["start[0].pos"]
    f.write_text(base.replace("pos = [5000, 0]", "pos = [0, 0]").replace('robot = "rover"', 'robot = "nobody"'))
    spec, _ = read_world(f)
    assert robot_problem(spec).key == "robot"


def test_unreadable_files_are_one_clear_error(tmp_path):
    from arena.tomlio import MAX_FILE_BYTES, load_toml

    big = tmp_path / "big.toml"
    big.write_text("# x\n" * (MAX_FILE_BYTES // 4 + 1))
    cases = [(big, "byte limit"), (tmp_path, "is a folder"), (tmp_path / "none.toml", "file not found")]
    if Path("/dev/zero").exists():
        cases.append((Path("/dev/zero"), "byte limit"))  # a device that never ends
    for f, words in cases:
        with pytest.raises(SpecError, match=words) as err:
            load_toml(f)
        assert err.value.file == str(f) and err.value.fix

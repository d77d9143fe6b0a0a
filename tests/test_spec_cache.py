"""Loaded specs are shared while their files are unchanged (issue #19: a tournament's matches do
not parse and validate the same world and robot again), and never outlive a change to any file
they were read from."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from arena.content import resolve
from arena.errors import SpecError
from arena.robot.assembly import assemble
from arena.robot.spec import load_robot
from arena.world.spec import load_world

WORLD = '''id = "Cache-v0"
time_limit = 15.0
[mat]
size = [400, 280]
{image}
[[start]]
pos = [-40, 0]
heading = 0
[[score]]
name = "time"
kind = "time"
weight = 0
'''


def test_an_unchanged_world_and_robot_are_shared():
    w, r = resolve("worlds", "line-follow"), resolve("robots", "rover")
    assert load_world(w) is load_world(w)
    assert load_robot(r) is load_robot(r)
    assert assemble(load_robot(r)) is assemble(load_robot(r))


def test_an_edit_of_the_same_size_is_seen_at_once(tmp_path):
    """Byte comparison, not mtime: two writes within the file system's clock tick still differ."""
    f = tmp_path / "w.toml"
    f.write_text(WORLD.format(image=""))
    assert load_world(f).time_limit == 15.0
    f.write_text(WORLD.format(image="").replace("15.0", "25.0"))
    assert load_world(f).time_limit == 25.0


def test_a_changed_base_robot_changes_the_robot_that_extends_it(tmp_path):
    shutil.copy(resolve("robots", "rover"), tmp_path / "rover.toml")
    (tmp_path / "mine.toml").write_text('name = "mine"\nextends = "rover.toml"\n')
    before = load_robot(tmp_path / "mine.toml")
    base = (tmp_path / "rover.toml").read_text()
    assert "pos = [-20, 0, 76]" in base
    (tmp_path / "rover.toml").write_text(base.replace("pos = [-20, 0, 76]", "pos = [-20, 0, 77]", 1))
    after = load_robot(tmp_path / "mine.toml")  # the extended file is one of the files it was read from
    assert before.part("brick").pos == (-20.0, 0.0, 76.0) and after.part("brick").pos == (-20.0, 0.0, 77.0)
    (tmp_path / "rover.toml").write_text(base.replace('[[parts]]', '[[parts]]\nbogus = 1', 1))
    with pytest.raises(SpecError) as err:
        load_robot(tmp_path / "mine.toml")
    assert "bogus" in str(err.value)


def test_a_broken_file_is_reported_every_time(tmp_path):
    f = tmp_path / "w.toml"
    f.write_text(WORLD.format(image="").replace("time_limit = 15.0", "time_limt = 15.0"))
    for _ in range(2):
        with pytest.raises(SpecError, match="time_limt"):
            load_world(f)
    f.write_text(WORLD.format(image=""))
    assert load_world(f).time_limit == 15.0


def test_a_world_is_checked_again_when_its_picture_changes(tmp_path, monkeypatch):
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "mat.png", np.full((14, 20, 3), 250, dtype=np.uint8))
    f = tmp_path / "w.toml"
    f.write_text(WORLD.format(image='image = "mat.png"'))
    load_world(f)
    monkeypatch.setattr("arena.world.checks.MAX_PICTURE_PIXELS", 100)  # the limit's check, on a small file
    iio.imwrite(tmp_path / "mat.png", np.full((14, 21, 3), 250, dtype=np.uint8))
    with pytest.raises(SpecError) as err:
        load_world(f)
    assert err.value.key == "mat.image" and "over the limit" in str(err.value)
    (tmp_path / "mat.png").unlink()
    with pytest.raises(SpecError) as err:
        load_world(f)
    assert err.value.key == "mat.image"


def test_a_shared_assembly_refuses_writes():
    asm = assemble(load_robot(resolve("robots", "rover")))
    with pytest.raises(ValueError):
        asm.com[0] = 1.0
    with pytest.raises(ValueError):
        next(iter(asm.poses.values())).pos[0] = 1.0

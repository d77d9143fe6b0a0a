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


def in_threads(work, n: int = 4) -> list:
    """Run work(k) in n threads at once; the exceptions they raised."""
    import threading

    errors: list = []

    def run(k: int) -> None:
        try:
            work(k)
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_loads_of_many_files_share_one_cache(tmp_path):
    """Web requests load worlds from several threads while the cache evicts: every load returns
    its own file's spec, none raises."""
    files = []
    for i in range(80):  # more than the cache holds, so threads evict each other's entries
        f = tmp_path / f"w{i}.toml"
        f.write_text(WORLD.format(image="").replace("15.0", f"{i + 1}.0"))
        files.append(f)

    def work(k: int) -> None:
        for j in range(200):
            i = (k * 37 + j) % len(files)
            assert load_world(files[i]).time_limit == i + 1.0

    assert in_threads(work) == []


def test_a_base_found_by_name_is_looked_up_again_when_a_nearer_file_appears(tmp_path, monkeypatch):
    (tmp_path / "mine.toml").write_text('name = "mine"\nextends = "rover"\n')
    assert load_robot(tmp_path / "mine.toml").part("brick").pos[2] == 76.0  # the bundled rover
    base = resolve("robots", "rover").read_text().replace("pos = [-20, 0, 76]", "pos = [-20, 0, 80]", 1)
    (tmp_path / "rover.toml").write_text(base)  # now "rover" names this file, beside mine.toml
    assert load_robot(tmp_path / "mine.toml").part("brick").pos[2] == 80.0
    other = tmp_path / "elsewhere"
    (other / "robots").mkdir(parents=True)
    (other / "robots" / "rover.toml").write_text(base.replace("pos = [-20, 0, 80]", "pos = [-20, 0, 84]", 1))
    (tmp_path / "rover.toml").unlink()
    monkeypatch.setenv("ARENA_PATH", str(other))  # a community folder searched before the bundled one
    assert load_robot(tmp_path / "mine.toml").part("brick").pos[2] == 84.0


def test_a_mat_picture_symlink_pointed_elsewhere_is_a_change(tmp_path):
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "a.png", np.full((14, 20, 3), 250, dtype=np.uint8))
    iio.imwrite(tmp_path / "b.png", np.full((14, 20, 3), 10, dtype=np.uint8))
    (tmp_path / "mat.png").symlink_to("a.png")
    f = tmp_path / "w.toml"
    f.write_text(WORLD.format(image='image = "mat.png"'))
    assert load_world(f).mat_image.endswith("a.png")
    (tmp_path / "mat.png").unlink()
    (tmp_path / "mat.png").symlink_to("b.png")
    assert load_world(f).mat_image.endswith("b.png")


def test_a_symlink_loop_is_the_usual_one_line_error(tmp_path):
    (tmp_path / "loop.toml").symlink_to("loop.toml")
    for load in (load_world, load_robot):
        with pytest.raises(SpecError):
            load(tmp_path / "loop.toml")


def test_assemblies_built_from_several_threads_are_each_their_own_specs():
    import dataclasses

    rover = load_robot(resolve("robots", "rover"))
    specs = [dataclasses.replace(rover, name=f"r{i}") for i in range(150)]  # more than the cache holds

    def work(k: int) -> None:
        for j in range(150):
            s = specs[(k * 41 + j) % len(specs)]
            assert assemble(s).prefix == s.name

    assert in_threads(work) == []


def test_the_match_setup_benchmark_runs():
    """benchmarks/match_setup.py empties the caches by their names: it must keep working."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "match_setup.py"
    out = subprocess.run([sys.executable, str(script), "--builds", "2"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    ratio = float(out.stdout.rsplit("ratio cached / uncached", 1)[1].split(":")[1])
    assert 0.0 < ratio < 5.0

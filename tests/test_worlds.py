"""The shared challenge worlds: goal states score what the header says, doing nothing scores the
minimum, baselines reach their documented scores through the real runner, layouts are seeded."""

import math

import numpy as np
import pytest

from arena.controllers.protocol import OK
from arena.controllers.runner import run_episode, run_match
from arena.match import Match
from arena.world.scene import World, layout_for_seed
from arena.world.spec import load_world

IDLE = "class Controller:\n    def act(self, obs):\n        return {}\n"


@pytest.fixture(scope="module")
def idle(tmp_path_factory):
    f = tmp_path_factory.mktemp("idle") / "idle.py"
    f.write_text(IDLE)
    return f


def match(world, seed=0, robots=None):
    m = Match(world, robots)
    m.reset(np.random.SeedSequence(seed))
    return m


def settle(m, steps=5):
    for _ in range(steps):
        m.step([{}] * m.players)


def idle_total(world, steps=300):
    m = match(world)
    settle(m, steps)
    totals = [m.scorer.total(i) for i in range(m.players)]
    m.close()
    return totals


# -- goal states -------------------------------------------------------------------------------------
def test_line_rescue_goal_state_scores_100():
    m = match("line-rescue")
    # along the course: every element tile, then every checkpoint tile, then the finish
    for x, y in [(-0.75, 0.15), (-0.45, 0.15), (-0.15, 0.15), (-0.15, 0.04), (-0.15, -0.45), (0.15, -0.45),
                 (0.75, 0.45)]:
        m.place_robot(0, x, y, 0.0)
        m.step([{}])
    assert m.scorer.values(0) == {"elements": 4.0, "checkpoints": 60.0}
    assert m.scorer.total(0) == pytest.approx(100.0)
    assert m.terminated  # the finish tile ends the run
    m.close()


def test_line_rescue_checkpoints_count_only_in_order():
    m = match("line-rescue")
    m.place_robot(0, 0.75, 0.45, 0.0)  # straight to the finish: nothing counts
    m.step([{}])
    assert m.scorer.total(0) == 0.0 and not m.terminated
    m.close()


def test_maze_goal_state_scores_reach_plus_time_left():
    m = match("maze")
    settle(m, 100)  # 1 s
    m.place_robot(0, 0.6, 0.45, 0.0)
    m.step([{}])
    assert m.scorer.values(0)["exit"] == 1.0
    assert m.scorer.total(0) == pytest.approx(100 + 0.5 * (180 - 1.01), abs=1e-6)
    assert m.terminated
    m.close()


def test_sumo_goal_state_pushed_out_wins():
    m = match("sumo")
    m.place_robot(1, 0.6, 0.0, math.pi)  # player 1 out of the ring
    m.step([{}, {}])
    assert m.scorer.total(0) == 3.0 and m.scorer.total(1) == 0.0
    assert m.terminated
    m.close()


def test_sumo_toppled_loses():
    from arena.sim import quat_from_rpy

    m = match("sumo")
    r = m.robots[0]
    pos, _ = m.sim.pose(r.body)
    m.sim.set_pose(r.body, (pos[0], pos[1], 0.1), quat_from_rpy((math.pi / 2, 0, 0)))  # on its side
    m.step([{}, {}])
    assert m.scorer.values(0)["bout"] == 0.0 and m.scorer.values(1)["bout"] == 3.0
    m.close()


def test_obstacle_run_goal_state_and_touch_penalty():
    m = match("obstacle-run")
    box = m.layout.objects[0]
    # drive the robot's bumper into the first box: one touch
    m.place_robot(0, box.x - 0.20, box.y, 0.0)
    for _ in range(60):
        m.step([{"B": 0.5, "C": 0.5}])
    assert m.scorer.values(0)["boxes"] == 1.0
    m.place_robot(0, 1.05, 0.0, 0.0)
    m.step([{}])
    v = m.scorer.values(0)
    assert v["goal"] == 1.0 and v["time"] == pytest.approx(60 - m.time, abs=0.02)
    assert m.scorer.total(0) == pytest.approx(100 + v["time"] - 10 * v["boxes"] - 5 * v["walls"])
    assert m.terminated
    m.close()


def test_missions_goal_state_scores_90():
    m = match("missions")
    m.place_object("red", 0.1, 0.0)
    m.place_object("yellow1", 0.4, 0.37)
    m.place_object("yellow2", 0.4, 0.43)
    m.place_object("crate", 0.95, 0.38)
    m.place_robot(0, -0.95, -0.42, 0.0)
    settle(m)
    assert m.scorer.values(0) == {"red": 1.0, "yellow": 2.0, "blue": 1.0, "park": 1.0}
    assert m.scorer.total(0) == pytest.approx(90.0)
    assert not m.terminated  # the match runs its full time
    m.close()


@pytest.mark.parametrize("world", ["line-rescue", "maze", "obstacle-run", "missions"])
def test_doing_nothing_scores_nothing(world):
    assert idle_total(world) == [0.0]


def test_sumo_doing_nothing_draws_and_loses_to_the_baseline(root, idle):
    assert idle_total("sumo") == [1.0, 1.0]  # nobody out: a draw so far
    r = run_match("sumo", [(None, root / "agents" / "sumo_seeker"), (None, idle)], seed=0)
    assert [x.status for x in r] == [OK, OK]
    assert r[0].total == 3.0 and r[1].total == 0.0  # the minimum
    assert r[0].score["tiebreak_s"] < 30


# -- baselines through the real runner (one seed each; thresholds documented in docs/worlds.md) -------
@pytest.mark.parametrize("world, agent, seed, at_least", [
    ("line-rescue", "rescue_liner", 0, 100.0),
    ("maze", "maze_walker", 1, 130.0),
    # 143 before the rover took the 104 mm track, 101 before the motors' slow decay (issue 15,
    # docs/worlds.md): it still reaches the goal (25 needs the goal), brushing more boxes
    ("obstacle-run", "obstacle_dodger", 2, 25.0),
    ("missions", "mission_runner", 0, 65.0),
])
def test_baseline_reaches_its_documented_score(root, world, agent, seed, at_least):
    r = run_episode(world, None, root / "agents" / agent, seed=seed)
    assert r.status == OK, r.reason
    assert r.total >= at_least, r.score


# -- seeded layouts ---------------------------------------------------------------------------------------
def test_same_seed_same_layout_different_seed_differs():
    w = World(load_world(__import__("arena.content", fromlist=["resolve"]).resolve("worlds", "maze")))
    a, b, c = layout_for_seed(w, 3), layout_for_seed(w, 3), layout_for_seed(w, 4)
    assert a.walls == b.walls and a.starts == b.starts
    assert a.walls != c.walls
    o = World(load_world(__import__("arena.content", fromlist=["resolve"]).resolve("worlds", "obstacle-run")))
    pa, pc = layout_for_seed(o, 3).objects, layout_for_seed(o, 4).objects
    assert pa == layout_for_seed(o, 3).objects and pa != pc


def test_random_boxes_keep_their_gap_and_avoid_zones(root):
    spec = load_world(root / "worlds" / "obstacle-run.toml")
    w = World(spec)
    for seed in range(10):
        objs = layout_for_seed(w, seed).objects
        for i, a in enumerate(objs):
            assert spec.zone("field").contains_m(a.x, a.y)
            assert not spec.zone("start").contains_m(a.x, a.y) and not spec.zone("goal").contains_m(a.x, a.y)
            for b in objs[i + 1:]:
                clear = math.hypot(a.x - b.x, a.y - b.y) * 1000 - 2 * a.spec.footprint_radius
                assert clear >= a.spec.gap - 1e-6


def test_maze_is_perfect_every_cell_reachable(root):
    spec = load_world(root / "worlds" / "maze.toml")
    w = World(spec)
    m = spec.maze
    for seed in range(5):
        walls = layout_for_seed(w, seed).walls
        cols, rows = m.cells

        def blocked(a, b, walls=walls):  # is there a wall segment between cell centres a and b?
            (ax, ay), (bx, by) = m.cell_center(*a), m.cell_center(*b)
            mx, my = (ax + bx) / 2, (ay + by) / 2
            for wl in walls:
                (x0, y0), (x1, y1) = wl.start, wl.end
                if x0 == x1 == mx and min(y0, y1) <= my <= max(y0, y1):
                    return True
                if y0 == y1 == my and min(x0, x1) <= mx <= max(x0, x1):
                    return True
            return False

        seen, todo, edges = {(0, 0)}, [(0, 0)], 0
        while todo:
            c, r = todo.pop()
            for n in ((c + 1, r), (c - 1, r), (c, r + 1), (c, r - 1)):
                if 0 <= n[0] < cols and 0 <= n[1] < rows and not blocked((c, r), n):
                    edges += 1
                    if n not in seen:
                        seen.add(n)
                        todo.append(n)
        assert len(seen) == cols * rows
        assert edges // 2 == cols * rows - 1  # a tree: exactly one route between any two cells


def _variant_world(tmp_path, root):
    text = (root / "worlds" / "line-follow.toml").read_text().replace(
        'closed = true\nwidth = 20', 'closed = true\njitter = 30.0\nfixed = [0]\nwidth = 20')
    f = tmp_path / "lf-jitter.toml"
    f.write_text(text.replace('id = "LineFollow-v0"', 'id = "LineFollowJitter-v0"'))
    return f


def test_mat_is_drawn_once_for_a_fixed_world_and_per_layout_when_the_line_moves(tmp_path, root):
    w = World(load_world(root / "worlds" / "line-follow.toml"))
    mats = {id(w.mat_for(layout_for_seed(w, s))) for s in range(3)}
    assert len(mats) == 1  # unchanged world: one mat, drawn once
    jw = World(load_world(_variant_world(tmp_path, root)))
    l1, l1b, l2 = layout_for_seed(jw, 1), layout_for_seed(jw, 1), layout_for_seed(jw, 2)
    assert l1.mat_key == l1b.mat_key != l2.mat_key
    assert jw.mat_for(l1) is jw.mat_for(l1b)
    assert not np.array_equal(jw.mat_for(l1).rgb, jw.mat_for(l2).rgb)
    # the start pose follows the moved line: the robot still starts on it
    m = Match(jw.spec)
    obs = m.reset(np.random.SeedSequence(2))[0]
    assert obs["S3/reflection"] < 40
    m.close()


def test_worlds_of_one_spec_share_its_drawn_mat_and_a_changed_spec_draws_its_own(root):
    from dataclasses import replace

    spec = load_world(root / "worlds" / "line-follow.toml")
    a, b = World(spec), World(load_world(root / "worlds" / "line-follow.toml"))  # a new match's World
    assert a.mat_for(a.default_layout) is b.mat_for(b.default_layout)  # drawn once in this process
    for changed in (replace(spec, mat_color=(250, 250, 0)), replace(spec, mat_resolution=spec.mat_resolution * 2),
                    replace(spec, paths=(replace(spec.paths[0], width=spec.paths[0].width + 4),))):
        c = World(changed)
        mat = c.mat_for(c.default_layout)
        assert mat is not a.mat_for(a.default_layout)
        assert mat.rgb.shape != a.mat.rgb.shape or not np.array_equal(mat.rgb, a.mat.rgb)


def test_path_variants_pick_one_of_the_lists(tmp_path, root):
    text = (root / "worlds" / "line-follow.toml").read_text().replace(
        'closed = true\nwidth = 20',
        'closed = true\nvariants = [[[-600, -400], [600, -400], [600, 400], [-600, 400]]]\nwidth = 20')
    f = tmp_path / "lf-var.toml"
    f.write_text(text)
    w = World(load_world(f))
    keys = {layout_for_seed(w, s).paths["track"].length for s in range(8)}
    assert len(keys) == 2


def test_object_poses_are_in_the_snapshot_and_the_digest():
    m = match("missions")
    snap = m.snapshot()
    assert len(snap.objects) == 4 and snap.objects[0].x == pytest.approx(-0.5, abs=0.011)
    d = m.state_digest()
    m.place_object("red", 0.0, 0.0)
    assert m.state_digest() != d
    m.close()


# -- tools ----------------------------------------------------------------------------------------------
def test_world_show_writes_a_png_and_check_passes_every_world(root, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "maze.png"
    p = subprocess.run([sys.executable, "-m", "arena.cli", "world", "show", "maze", "--seed", "2", "--out", str(out)],
                       capture_output=True, text=True, cwd=root, timeout=1800)
    assert p.returncode == 0, p.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "Maze-v0 seed 2" in p.stdout
    worlds = sorted(str(f) for f in (root / "worlds").glob("*.toml"))
    p = subprocess.run([sys.executable, "-m", "arena.cli", "check", *worlds], capture_output=True, text=True,
                       cwd=root, timeout=1800)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count(": ok - world") == len(worlds)


def test_check_reports_a_bad_zone_reference_without_a_traceback(root, tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.toml"
    bad.write_text((root / "worlds" / "maze.toml").read_text().replace('zone = "exit"\nweight = 100.0',
                                                                       'zone = "exti"\nweight = 100.0'))
    p = subprocess.run([sys.executable, "-m", "arena.cli", "check", str(bad)], capture_output=True, text=True,
                       timeout=1800)
    assert p.returncode == 1 and "score[0].zone" in p.stderr and "fix:" in p.stderr
    assert "Traceback" not in p.stderr


def test_every_world_is_a_gymnasium_id():
    import gymnasium as gym

    import arena  # noqa: F401

    for wid in ("LineFollow-v0", "LineRescue-v0", "Maze-v0", "Sumo-v0", "ObstacleRun-v0", "Missions-v0"):
        assert f"arena/{wid}" in gym.registry

"""Seeing runs (arena.view): 3D pictures from TinyRenderer, replay videos with the overlay, plots,
the viewer's frames and keys, and keyboard drives that record verifiable replays. Every picture
is opened and its pixels checked (colours where the parts are, not blank)."""

import dataclasses
import json
import os
import subprocess
import sys

import imageio.v2 as imageio
import numpy as np
import pytest
import tiny
from conftest import arena_cmd

from arena.compete import replay
from arena.content import resolve
from arena.errors import ArenaError
from arena.match import Match
from arena.robot.spec import load_robot
from arena.sim import GEOM_BOX, Shape
from arena.units import parse_color
from arena.view import camera as cams
from arena.view.live import Teleop, parse_keys
from arena.view.pictures import robot_render
from arena.view.plots import trace_figure, write_plot
from arena.view.stage import Stage, rgba
from arena.view.trace import trace_replay
from arena.view.video import render_video
from arena.view.viewer import TIMELINE, ReplaySource, Viewer

ORANGE = (255, 140, 0)  # player 0's trail (arena.view.overlay.PLAYER_COLORS)
KEYS = "up*120,left*40,up*80"


def near(img, color, tol=40) -> np.ndarray:
    """Mask of pixels within `tol` of an RGB colour on every channel."""
    return np.all(np.abs(img[..., :3].astype(int) - np.array(color)) <= tol, axis=-1)


def like(img, color, min_cos=0.985) -> np.ndarray:
    """Mask of pixels of the same hue as `color` (any brightness: lighting shades the faces)."""
    a = img[..., :3].astype(float)
    c = np.asarray(color, dtype=float)
    cos = (a @ c) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(c) + 1e-9)
    return (cos >= min_cos) & (a.sum(axis=-1) > 60)


@pytest.fixture(scope="module")
def drive(tmp_path_factory):
    """A scripted keyboard drive on the line-follow mat, as a replay file."""
    d = tmp_path_factory.mktemp("view")
    session = Teleop("line-follow", None, seed=3)
    try:
        for held in parse_keys(KEYS):
            session.advance(held)
        rep = session.replay()
        poses = list(session.trace.players[0].poses)
    finally:
        session.close()
    path = d / "drive.json.gz"
    replay.save(rep, path)
    return {"rep": rep, "path": path, "poses": poses, "dir": d}


def run_cli(*args, env=None, cwd=None):
    return subprocess.run(arena_cmd(*args), capture_output=True, text=True, timeout=600, env=env, cwd=cwd)


# -- 3D pictures --------------------------------------------------------------------------------------
def test_robot_render_shows_the_parts_in_their_colours():
    spec = load_robot(resolve("robots", "rover"))
    img = robot_render(spec, 400, 320)
    assert img.shape == (320, 400, 3) and img.std() > 20  # not blank
    from arena.kit.catalogue import catalogue

    cat = catalogue()
    saturated = {parse_color(p.color or cat[p.part].color) for p in spec.parts}
    saturated = {c for c in saturated if max(c) - min(c) > 80}
    assert saturated, "the rover has coloured parts"
    for c in saturated:
        assert like(img, c).sum() > 150, f"part colour {c} is missing from the render"
    # repaint the wheels green: green appears (where the wheels are) and was not there before
    green = (30, 200, 40)
    wheels = tuple(dataclasses.replace(p, color="#1ec828") if p.kind == "wheel" else p for p in spec.parts)
    img2 = robot_render(dataclasses.replace(spec, parts=wheels), 400, 320)
    assert like(img, green).sum() < 20 <= 200 < like(img2, green).sum()


def test_robot_show_3d_writes_the_views_with_the_render(tmp_path):
    plain, three = tmp_path / "r.png", tmp_path / "r3.png"
    assert run_cli("robot", "show", "rover", "--out", str(plain)).returncode == 0
    res = run_cli("robot", "show", "rover", "--3d", "--out", str(three))
    assert res.returncode == 0, res.stderr
    a, b = imageio.imread(plain), imageio.imread(three)
    assert b.shape[1] > a.shape[1] + 400  # the render sits beside the top and side views
    render = b[:, a.shape[1]:, :3]
    assert like(render, (200, 30, 30), 0.97).sum() > 500  # the rover's red sensors, in 3D
    res = run_cli("robot", "show", "rover", "--3d")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert [line for line in res.stderr.splitlines() if line.startswith("arena: error:")] == [
        "arena: error: robot show --3d draws a picture: add --out FILE.png"]


def test_world_show_3d_renders_the_layout_of_the_seed(tmp_path):
    out = tmp_path / "maze.png"
    res = run_cli("world", "show", "maze", "--3d", "--out", str(out))
    assert res.returncode == 0, res.stderr
    img = imageio.imread(out)[:, :, :3]
    assert img.shape == (600, 960, 3)
    m = Match("maze")
    try:
        m.reset(np.random.SeedSequence(0))
        wall = tuple(255 * c for c in rgba(m.layout.walls[0].color)[:3])
    finally:
        m.close()
    assert like(img, wall, 0.995).sum() > 5000  # the maze's walls, in their colour
    assert like(img, (200, 30, 30), 0.97).sum() > 30  # the rover at its start: its red sensors


def test_the_camera_projection_lands_on_what_tinyrenderer_draws():
    stage = Stage()
    try:
        for (x, y) in ((0.3, 0.1), (-0.2, 0.25)):
            stage.sim.add_visual(Shape(GEOM_BOX, (0, 0, 0), half_extents=(0.02, 0.02, 0.02)), (1, 0, 0, 1), (x, y, 0.02))
        cam = cams.Camera((0.8, -0.9, 0.7), (0.0, 0.0, 0.0), fov=50.0)
        img = stage.sim.camera(640, 400, cam.eye, cam.target, cam.up, cam.fov, shadow=False)
        px, front = cam.project([(0.3, 0.1, 0.02), (-0.2, 0.25, 0.02)], 640, 400)
        assert front.all()
        for u, v in px:
            patch = img[int(v) - 2:int(v) + 3, int(u) - 2:int(u) + 3]
            assert like(patch, (255, 0, 0), 0.95).sum() >= 20, (u, v)
    finally:
        stage.close()


def test_the_stage_reads_the_match_and_never_changes_it():
    m = Match("line-follow")
    try:
        m.reset(np.random.SeedSequence(5))
        for _ in range(20):
            m.step([{"B": 0.6, "C": 0.4}])
        before = m.state_bytes()
        stage = Stage(m)
        assert stage.sim.client != m.sim.client
        stage.sync(m)
        stage.sim.camera(320, 240, (0, -1, 1), (0, 0, 0))
        assert m.state_bytes() == before
        stage.close()
    finally:
        m.close()


# -- videos and plots ---------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix,view", [(".mp4", "chase"), (".gif", "top")])
def test_replay_video_has_wide_frames_the_overlay_and_the_trail(drive, suffix, view):
    out = drive["dir"] / f"run{suffix}"
    stats = render_video(drive["rep"], out, view=view, size=(640, 360), fps=5, speed=1.0, until=2.0)
    assert stats.frames == 11 and stats.render_fps > 0 and stats.sim_s == pytest.approx(2.0)
    frames = [np.asarray(f)[..., :3] for f in imageio.mimread(out)]
    assert len(frames) == 11 and all(f.shape == (360, 640, 3) for f in frames)
    last = frames[-1]
    # the overlay's boxes: dark, top left and top right, with light text in them
    for box in (last[10:40, 10:300], last[10:40, -250:-10]):
        assert np.median(box) < 90 and (box > 200).any()
    assert near(last, ORANGE, 45).sum() > 30  # the trail (and the score) in player 0's colour
    assert last.std() > 25 and not np.array_equal(frames[0], last)


def test_replay_cli_video_gif_plot_and_bad_options(drive, tmp_path):
    res = run_cli("replay", str(drive["path"]), "--video", str(tmp_path / "v.mp4"), "--until", "0.6", "--fps", "5",
                  "--speed", "1", "--plot", str(tmp_path / "p.png"))
    assert res.returncode == 0, res.stderr
    assert "frames/s" in res.stdout and "rendered at" in res.stdout
    assert imageio.imread(tmp_path / "p.png").shape[1] == 1000
    for args, words in ((("--video", str(tmp_path / "v.avi")), (".mp4", ".gif")),
                        (("--gif", str(tmp_path / "v.mp4")), (".gif",)),
                        (("--video", str(tmp_path / "v.mp4"), "--size", "320x200"), ("640", "fix")),
                        (("--video", str(tmp_path / "v.mp4"), "--size", "big"), ("WIDTHxHEIGHT",)),
                        (("--video", "/proc/no-such-folder/v.mp4"), ("cannot write the video", "fix")),
                        (("--video", str(tmp_path / "v.mp4"), "--fps", "0"), ("--fps 0", "fix")),
                        (("--video", str(tmp_path / "v.mp4"), "--follow", "1"), ("--follow 1", "from 0 to 0")),
                        (("--plot", str(tmp_path / "p.png"), "--channels", "S9/nothing"), ("S9/nothing", "S3/reflection"))):
        res = run_cli("replay", str(drive["path"]), *args)
        assert res.returncode == 2, (args, res.stdout)
        # (a stale compiled build may add its own warning lines to stderr: look at the error's)
        errors = [line for line in res.stderr.splitlines() if line.startswith("arena: error:")]
        assert len(errors) == 1 and all(w in errors[0] for w in words) and "Traceback" not in res.stderr, res.stderr


def test_plot_draws_every_chosen_channel(drive, tmp_path):
    tr = trace_replay(drive["rep"])
    assert len(tr) == len(drive["poses"]) and tr.players[0].poses == drive["poses"]
    chosen = tr.default_channels(0, 4)
    assert chosen[0] == "S3/reflection" and "S2/angle" in chosen and "B/duty" in chosen
    img = trace_figure(tr, ["S3/reflection", "B/duty"], width=800, row_h=120)
    assert img.shape == (44 + 3 * 128, 800, 3)
    assert near(img, ORANGE, 30).sum() > 3 * 200  # three traced lines (score, reflection, duty)
    with pytest.raises(ArenaError, match="fix: name it"):
        write_plot(tr, tmp_path / "p.jpg")
    assert np.nanmax(tr.series(0, "B/duty")) == pytest.approx(80.0)  # the drive's forward duty, in percent


# -- the viewer ---------------------------------------------------------------------------------------
def test_view_screenshot_shows_world_robot_timeline_and_plots(drive, tmp_path):
    shot = tmp_path / "v.png"
    res = run_cli("view", str(drive["path"]), "--screenshot", str(shot), "--at", "1.5")
    assert res.returncode == 0, res.stderr
    assert "t = 1.50 s" in res.stdout and "S3/reflection" in res.stdout
    img = imageio.imread(shot)[..., :3]
    assert img.shape == (800, 1280, 3)
    viewer = Viewer(ReplaySource(drive["rep"]))
    x, y, _ = drive["poses"][150]
    (u, v), = viewer.map_px(x, y)
    around = img[int(v) - 25:int(v) + 26, int(u) - 25:int(u) + 26]
    assert near(around, ORANGE, 30).sum() > 10  # the robot's marker and trail where it was at 1.5 s
    (u2, v2), = viewer.map_px(*drive["poses"][-1][:2])  # where it ends up: no trail there yet at 1.5 s
    assert np.hypot(u2 - u, v2 - v) > 20
    assert not near(img[int(v2) - 3:int(v2) + 4, int(u2) - 3:int(u2) + 4], ORANGE, 30).any()
    # the timeline's cursor at 1.5 s of 2.4 s
    end = viewer.src.trace.time(len(viewer.src.trace) - 1)
    cx = TIMELINE.x + TIMELINE.w * 1.5 / end
    row = img[TIMELINE.y + TIMELINE.h // 2]
    red = np.nonzero(near(row, (255, 80, 80), 20))[0]
    assert red.size and abs(red.mean() - cx) < 4
    # at least two plot panels, each with the red now-line in it
    assert np.sum(near(img[:, 780:1270], (255, 80, 80), 20).any(axis=1)) > 2 * 80


def test_viewer_keys_step_scrub_speed_and_help(drive):
    viewer = Viewer(ReplaySource(drive["rep"]))
    tr = viewer.src.trace
    assert viewer.cur == 0 and not viewer.playing
    viewer.key("right")
    assert int(viewer.cur) == 1  # one control step while paused
    viewer.key("right", shift=True)
    assert tr.time(int(viewer.cur)) == pytest.approx(1.01)
    viewer.key("end")
    assert int(viewer.cur) == len(tr) - 1
    viewer.key("home")
    viewer.key("space")
    viewer.tick(0.5)
    assert tr.time(int(viewer.cur)) == pytest.approx(0.5, abs=0.011)  # x1: half a second of run
    for _ in range(3):
        viewer.key("up")
    viewer.tick(0.1)
    assert tr.time(int(viewer.cur)) == pytest.approx(1.3, abs=0.02)  # x8
    for _ in range(10):
        viewer.key("down")
    assert viewer.speed_i == 0
    viewer.scrub(TIMELINE.x + TIMELINE.w // 2)
    assert tr.time(int(viewer.cur)) == pytest.approx(tr.time(len(tr) - 1) / 2, abs=0.02)
    plain = viewer.draw(int(viewer.cur)).array()
    viewer.key("h")
    helped = viewer.draw(int(viewer.cur)).array()
    assert (np.abs(plain.astype(int) - helped).sum(axis=-1) > 30).sum() > 20000  # the key list covers the middle
    assert viewer.key("q") is False


def test_view_window_runs_under_the_dummy_driver(drive, tmp_path):
    shot = tmp_path / "w.png"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    res = run_cli("view", str(drive["path"]), "--frames", "3", "--at", "1", "--screenshot", str(shot), env=env)
    assert res.returncode == 0, res.stderr
    img = imageio.imread(shot)[..., :3]
    assert img.shape == (800, 1280, 3) and img.std() > 20 and near(img, ORANGE, 30).sum() > 20


def test_live_view_runs_a_controller_to_the_asked_time(tmp_path):
    shot = tmp_path / "live.png"
    res = run_cli("view", "--world", "line-follow", "--agent", "line_follower", "--seed", "2",
                  "--screenshot", str(shot), "--at", "1", "--isolation", "rlimit")
    assert res.returncode == 0, res.stderr
    assert "t = 1.00 s" in res.stdout
    img = imageio.imread(shot)[..., :3]
    assert near(img[44:640, 8:760], ORANGE, 30).sum() > 10
    for args, words in ((("--world", "line-follow"), ("--agent",)), ((), ("what to show", "fix")),
                        (("--world", "line-follow", "--agent", "line_follower", "--screenshot", "x.png"), ("--at",))):
        res = run_cli("view", *args, cwd=tmp_path)
        errors = [line for line in res.stderr.splitlines() if line.startswith("arena: error:")]
        assert res.returncode == 2 and len(errors) == 1 and all(w in errors[0] for w in words), res.stderr


def test_a_live_run_with_the_wrong_number_of_players_is_one_line(tmp_path):
    """drive and view on a two-player world with one driver gave a zip() traceback."""
    cases = ((("drive", "--world", "sumo", "--keys", "up*5", "--screenshot", "d.png"), "Sumo-v0 takes 2 player(s), 1"),
             (("view", "--world", "sumo", "--agent", "sumo_seeker", "--screenshot", "v.png", "--at", "1"),
              "give --agent 2 time(s)"),
             (("view", "--world", "line-follow", "--agent", "line_follower", "--agent", "bang_bang",
               "--screenshot", "v.png", "--at", "1"), "LineFollow-v0 takes 1 player(s), 2"))
    for args, words in cases:
        res = run_cli(*args, cwd=tmp_path)
        errors = [line for line in res.stderr.splitlines() if line.startswith("arena: error:")]
        assert res.returncode == 2 and len(errors) == 1 and words in errors[0], res.stderr
        assert "Traceback" not in res.stderr


# -- driving -------------------------------------------------------------------------------------------
def test_drive_with_scripted_keys_moves_the_robot_and_records_a_verifiable_replay(tmp_path):
    shot, out = tmp_path / "d.png", tmp_path / "drive.json.gz"
    res = run_cli("drive", "--world", "maze", "--robot", "rover", "--keys", "up*50,left*10,up*30",
                  "--screenshot", str(shot), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "90 steps" in res.stdout
    rep = replay.load(out)
    assert replay.verify(rep).ok
    tr = trace_replay(rep)
    (x0, y0, yaw0), (x1, y1, yaw1) = tr.players[0].poses[0], tr.players[0].poses[-1]
    assert np.hypot(x1 - x0, y1 - y0) > 0.1  # it drove
    assert np.sin(yaw1 - yaw0) > 0.05  # "left" turned it counter-clockwise
    img = imageio.imread(shot)[..., :3]
    assert img.shape == (800, 1280, 3) and near(img, ORANGE, 30).sum() > 20


def test_drive_commands_follow_the_wheels_not_the_ports():
    t = Teleop("maze", "rover")
    try:
        up, left = t.command({"up"}), t.command({"left"})
        (lp, ls), = t.left
        (rp, rs), = t.right
        assert up[lp] * ls > 0 and up[rp] * rs > 0
        assert left[lp] * ls < 0 < left[rp] * rs
    finally:
        t.close()


@pytest.mark.parametrize("script,words", [("up*0", ("count", "up*50")), ("jump*3", ("jump", "fix")),
                                          ("up*x", ("count",))])
def test_bad_key_scripts_are_one_clear_line(script, words):
    with pytest.raises(ArenaError) as e:
        parse_keys(script)
    assert all(w in str(e.value) for w in words)
    assert parse_keys("up+left*2,none") == [{"up", "left"}, {"up", "left"}, set()]


def test_the_view_modules_import_without_a_display():
    code = "import arena.view.viewer, arena.view.video, arena.cli.see; print('ok')"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SDL_VIDEODRIVER")}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


def test_drive_keys_turn_the_other_motors(tmp_path):
    t = Teleop("line-follow", "forklift")
    try:
        assert t.others == ["A"] and t.command({"q"})["A"] == pytest.approx(0.8)
        assert t.command({"a", "up"})["A"] == pytest.approx(-0.8)
        start = t.match.obs[0]["A/angle"]
        for _ in range(40):
            t.advance({"q"})
        assert abs(t.match.obs[0]["A/angle"] - start) > 10  # the arm motor turned
    finally:
        t.close()


def test_a_captured_state_renders_as_it_was_when_captured():
    from arena.view.stage import capture

    m = Match("line-follow")
    try:
        m.reset(np.random.SeedSequence(2))
        stage = Stage(m)
        cam = cams.chase(m.robots[0].pose.x, m.robots[0].pose.y, m.robots[0].pose.yaw)
        for _ in range(30):
            m.step([{"B": 0.7, "C": 0.2}])
        then = capture(m)
        stage.sync(m)
        before = stage.sim.camera(320, 200, cam.eye, cam.target, cam.up, cam.fov, shadow=False)
        for _ in range(40):
            m.step([{"B": 0.7, "C": 0.2}])
        stage.sync(m)
        moved = stage.sim.camera(320, 200, cam.eye, cam.target, cam.up, cam.fov, shadow=False)
        stage.apply(then)
        again = stage.sim.camera(320, 200, cam.eye, cam.target, cam.up, cam.fov, shadow=False)
        assert not np.array_equal(before, moved) and np.array_equal(before, again)
        stage.close()
    finally:
        m.close()


def test_view_3d_map_shows_the_robot_in_its_colours(drive, tmp_path):
    top, chase = tmp_path / "top.png", tmp_path / "chase.png"
    for shot, mode in ((top, "top"), (chase, "chase")):
        res = run_cli("view", str(drive["path"]), "--map", mode, "--screenshot", str(shot), "--at", "2")
        assert res.returncode == 0, res.stderr
    a, b = (imageio.imread(p)[44:640, 8:760, :3] for p in (top, chase))
    assert (np.abs(a.astype(int) - b).sum(axis=-1) > 60).mean() > 0.3  # a different picture of the map
    assert like(b, (200, 30, 30), 0.97).sum() > 400  # the rover's red sensors, large behind it
    assert near(b, ORANGE, 40).sum() > 30  # its trail on the floor
    viewer = Viewer(ReplaySource(drive["rep"]))
    assert [viewer.map_mode, viewer.key("3") and viewer.map_mode, viewer.key("3") and viewer.map_mode,
            viewer.key("3") and viewer.map_mode] == ["top", "chase", "above", "top"]
    viewer.src.close()


def test_eval_plot_writes_one_png_per_seed(tmp_path):
    world = tiny.solo_world(tmp_path, time_limit=1.5)
    follower, _ = tiny.copies(tmp_path)
    plots = tmp_path / "plots"
    res = run_cli("eval", "--world", str(world), "--agent", str(follower), "--seeds", "2", "--workers", "1",
                  "--plot", str(plots), "--json")
    assert res.returncode == 0, res.stderr
    json.loads(res.stdout)  # stdout is still one JSON object; the plots' line is on stderr
    assert "2 PNG(s)" in res.stderr
    for seed in (0, 1):
        img = imageio.imread(plots / f"seed-{seed}.png")[..., :3]
        assert img.shape[1] == 1000 and near(img, ORANGE, 30).sum() > 500  # the traced lines

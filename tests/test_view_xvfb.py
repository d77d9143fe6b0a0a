"""The viewer's real window on an X server (Xvfb): the same frames as headless, through SDL's X11
driver. CI installs xvfb (.ci/run); where xvfb-run is missing these skip and say why."""

import os
import shutil
import subprocess

import imageio.v2 as imageio
import numpy as np
import pytest
from conftest import arena_cmd

from arena.compete import replay
from arena.view.live import Teleop, parse_keys

XVFB = shutil.which("xvfb-run")
pytestmark = pytest.mark.skipif(XVFB is None, reason="xvfb-run is not installed (apt-get install xvfb; .ci/run does)")
ORANGE = np.array((255, 140, 0))


def x11_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SDL_VIDEODRIVER")}
    env["SDL_VIDEODRIVER"] = "x11"  # the real driver: fail rather than fall back to a dummy window
    return env


def window(*args):
    return subprocess.run([XVFB, "-a", "-s", "-screen 0 1400x900x24", *arena_cmd(*args)], capture_output=True,
                          text=True, timeout=600, env=x11_env())


def looks_like_the_viewer(path) -> None:
    img = imageio.imread(path)[..., :3].astype(int)
    assert img.shape == (800, 1280, 3)
    assert img.std() > 20  # not blank
    assert (np.abs(img - ORANGE).max(axis=-1) <= 30).sum() > 20  # the robot's marker and trail
    assert img[44:640, 8:760].mean() > 150  # the light mat on the left


@pytest.fixture(scope="module")
def drive_replay(tmp_path_factory):
    session = Teleop("maze", None, seed=1)
    try:
        for held in parse_keys("up*80,right*20,up*40"):
            session.advance(held)
        rep = session.replay()
    finally:
        session.close()
    path = tmp_path_factory.mktemp("xvfb") / "drive.json.gz"
    replay.save(rep, path)
    return path


def test_view_window_on_xvfb(drive_replay, tmp_path):
    shot = tmp_path / "x.png"
    res = window("view", str(drive_replay), "--frames", "4", "--at", "1", "--screenshot", str(shot))
    assert res.returncode == 0, res.stderr
    assert "window: 4 frames shown" in res.stdout
    looks_like_the_viewer(shot)


def test_drive_window_on_xvfb(tmp_path):
    shot, out = tmp_path / "d.png", tmp_path / "d.json.gz"
    res = window("drive", "--world", "maze", "--keys", "up*40", "--frames", "3", "--screenshot", str(shot),
                 "--out", str(out))
    assert res.returncode == 0, res.stderr
    looks_like_the_viewer(shot)
    rep = replay.load(out)
    assert rep["steps"] >= 40 and replay.verify(rep).ok  # the scripted keys, then the window's own steps

"""Still 3D pictures: a robot from its isometric corner (`arena robot show --3d`) and a world as a
seed lays it out (`arena world show --3d`)."""

from __future__ import annotations

import numpy as np

from arena.robot.assembly import assemble, extent_mm
from arena.robot.draw import robot_sheet
from arena.robot.spec import RobotSpec
from arena.view import camera
from arena.view.canvas import Canvas
from arena.view.stage import Stage

SHEET_BG = (250, 250, 246)


def robot_render(spec: RobotSpec, width: int = 560, height: int = 460) -> np.ndarray:
    """The assembled robot standing on a grey floor, seen from its front right (RGB uint8)."""
    asm = assemble(spec)
    stage = Stage()
    try:
        stage.add_robot(asm)
        lo, hi = extent_mm(asm)
        cam = camera.isometric(lo / 1000.0, hi / 1000.0, width / height, fill=0.8)
        big = stage.sim.camera(2 * width, 2 * height, cam.eye, cam.target, cam.up, cam.fov, near=0.01, far=5.0,
                               light=(0.4, -1.0, 1.4))
        # rendered at twice the size and averaged down: smooth edges for a still picture
        return big.reshape(height, 2, width, 2, 3).mean(axis=(1, 3)).round().astype(np.uint8)
    finally:
        stage.close()


def robot_sheet_3d(spec: RobotSpec) -> np.ndarray:
    """The top and side views (arena.robot.draw.robot_sheet) with the 3D render beside them."""
    sheet = robot_sheet(spec)
    h = max(sheet.shape[0], 460 + 70)
    render = robot_render(spec, 560, h - 70)
    c = Canvas(sheet.shape[1] + render.shape[1] + 24, h, fill=SHEET_BG)
    c.image(sheet, 0, 0)
    x = sheet.shape[1] + 8
    c.text("3D  (front right, from above; TinyRenderer)", x, 42, size=18, color=(90, 90, 100))
    c.image(render, x, 64)
    c.rect(x, 64, render.shape[1], render.shape[0], (190, 190, 185), width=1)
    return c.array()


def world_render(world, seed: int = 0, width: int = 960, height: int = 600) -> np.ndarray:
    """A world as a match starts on `seed`: its mat, walls, objects and robots at their start poses,
    seen from above its front right corner (RGB uint8). Built from a real Match, so the picture shows
    exactly the layout that seed gives."""
    from arena.match import Match

    match = Match(world)
    try:
        match.reset(np.random.SeedSequence(seed))
        stage = Stage(match)
        try:
            half = np.array([match.mat.width, match.mat.height]) / 2
            tallest = max([w.height for w in match.layout.walls] + [100.0]) / 1000.0
            cam = camera.isometric((-half[0], -half[1], 0.0), (half[0], half[1], tallest), width / height, fill=0.78)
            big = stage.sim.camera(2 * width, 2 * height, cam.eye, cam.target, cam.up, cam.fov, near=0.02,
                                   far=50.0, light=(0.4, -1.0, 1.4))
            return big.reshape(height, 2, width, 2, 3).mean(axis=(1, 3)).round().astype(np.uint8)
        finally:
            stage.close()
    finally:
        match.close()

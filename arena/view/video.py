"""Replay videos: re-simulate a replay and film it (MP4 through imageio-ffmpeg, or GIF).

Frames come from pybullet's TinyRenderer (no display needed) through a render-only Stage, from a
chase camera behind a player or from above, with the overlay (arena.view.overlay). Rendering
happens after the match, never inside a timed run; its cost is reported in frames per second.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arena.errors import ArenaError
from arena.view import camera as cams
from arena.view.canvas import Canvas
from arena.view.overlay import PLAYER_COLORS, header, trail
from arena.view.stage import Stage
from arena.view.trace import trace_replay

FORMATS = (".mp4", ".gif")
MIN_WIDTH = 640


@dataclass(frozen=True)
class VideoStats:
    path: Path
    frames: int
    width: int
    height: int
    fps: int  # playback
    render_s: float  # wall seconds spent rendering and encoding (not simulating)
    sim_s: float  # simulated seconds covered

    @property
    def render_fps(self) -> float:
        return self.frames / self.render_s if self.render_s > 0 else float("inf")


def check_size(width: int, height: int) -> None:
    if width < MIN_WIDTH or height < 240:
        raise ArenaError(f"video size {width} x {height}: frames are at least {MIN_WIDTH} x 240 px "
                         f"(fix: --size {MIN_WIDTH}x360 or larger)")


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ArenaError(f"--size {text!r}: not a frame size (fix: write WIDTHxHEIGHT in pixels, e.g. 768x432)") from None
    check_size(w, h)
    return w, h


def check_follow(follow: int, players: int) -> None:
    if not 0 <= follow < players:
        raise ArenaError(f"--follow {follow}: no such player (fix: give a player number from 0 to {players - 1})")


class Filmer:
    """Turns a match state into an overlaid frame; keeps the camera steady between frames."""

    def __init__(self, match, view: str, width: int, height: int, shadows: bool = False, follow: int = 0):
        if view not in cams.MODES:
            raise ArenaError(f"camera {view!r}: no such camera (fix: use one of {', '.join(cams.MODES)})")
        check_follow(follow, match.players)
        self.view, self.w, self.h, self.shadows, self.follow = view, width, height, shadows, follow
        self.stage = Stage(match)
        self.over = cams.top(match.mat.width, match.mat.height, width / height)
        self.yaw: float | None = None

    def close(self) -> None:
        self.stage.close()

    def camera(self, trace, k: int) -> cams.Camera:
        if self.view == "top":
            return self.over
        x, y, yaw = trace.players[self.follow].poses[k]
        # a damped heading: the camera swings after the robot instead of snapping with every wobble
        if self.yaw is None:
            self.yaw = yaw
        d = math.atan2(math.sin(yaw - self.yaw), math.cos(yaw - self.yaw))
        self.yaw += 0.25 * d
        return cams.chase(x, y, self.yaw)

    def frame(self, match, trace, k: int) -> np.ndarray:
        self.stage.sync(match)
        cam = self.camera(trace, k)
        img = self.stage.sim.camera(self.w, self.h, cam.eye, cam.target, cam.up, cam.fov, shadow=self.shadows)
        c = Canvas.of(img)
        for i, pl in enumerate(trace.players):
            trail(c, cam, np.asarray(pl.poses[:k + 1])[:, :2], PLAYER_COLORS[i % len(PLAYER_COLORS)])
        header(c, trace, k, self.view)
        return c.array()


def render_video(rep: dict, out: str | Path, view: str = "chase", size: tuple[int, int] = (768, 432),
                 fps: int = 15, speed: float = 2.0, until: float | None = None, shadows: bool = False,
                 follow: int = 0) -> VideoStats:
    """Film a replay: one frame per `speed / fps` simulated seconds, to `until` s (default: the end).
    Shadows look better and cost about twice the rendering time."""
    import imageio.v2 as imageio

    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ArenaError(f"{out}: not a video file name (fix: name it {out.stem}.mp4 or {out.stem}.gif)")
    width, height = size
    check_size(width, height)
    if fps < 1 or speed <= 0:
        raise ArenaError(f"--fps {fps} / --speed {speed}: both must be positive (fix: e.g. --fps 15 --speed 2)")
    check_follow(follow, len(rep["players"]))
    dt = float(rep["control_dt"])
    stride = max(1, round(speed / (fps * dt)))
    last = int(rep["steps"]) if until is None else min(int(rep["steps"]), int(round(until / dt)))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".mp4":
            writer = imageio.get_writer(str(out), format="FFMPEG", mode="I", fps=fps, codec="libx264", quality=7,
                                        macro_block_size=8, ffmpeg_log_level="error")
        else:
            writer = imageio.get_writer(str(out), format="GIF", mode="I", duration=1000.0 / fps, loop=0)
    except OSError as exc:
        raise ArenaError(f"{out}: cannot write the video: {exc.strerror or exc} "
                         "(fix: give a file path in a writable folder)") from None
    state = {"filmer": None, "frames": 0, "render": 0.0}

    class _Done(Exception):
        pass

    def on_step(step, match, trace):
        if state["filmer"] is None:
            state["filmer"] = Filmer(match, view, width, height, shadows, follow)
        if step % stride == 0 or step == last:
            t0 = time.perf_counter()
            writer.append_data(state["filmer"].frame(match, trace, len(trace) - 1))
            state["render"] += time.perf_counter() - t0
            state["frames"] += 1
        if step >= last:
            raise _Done

    try:
        trace_replay(rep, on_step)
    except _Done:
        pass
    finally:
        t0 = time.perf_counter()
        writer.close()
        state["render"] += time.perf_counter() - t0
        if state["filmer"] is not None:
            state["filmer"].close()
    return VideoStats(out, state["frames"], width, height, fps, state["render"], last * dt)

"""A stored replay as frames for the browser's player: re-simulated once, then cached on disk.

The replay holds commands, not states; the player needs states. The match is re-simulated from the
replay (arena.view.trace.trace_replay, the same path as `arena replay --gif`) and sampled at FPS
frames per simulated second: per frame the time, every robot's x, y and heading, every movable
object's pose and every player's score so far. The mat of that match's layout (seeded: it differs
per seed) is drawn once as a PNG beside it. Both live under <store folder>/web-cache/trajectories/,
named by the match id (32 hex digits, checked before any path is built), written atomically.
Units are the world files': mm and degrees; time in s.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import re
import tempfile
import threading
from pathlib import Path

from arena.errors import ArenaError

FORMAT = "kit-arena-trajectory/1"
FPS = 25  # frames per simulated second (a 180 s match: 4500 frames, about 150 kB gzipped)
MAT_SCALE = 0.002  # m per pixel asked of the top-down renderer (it rounds to the mat's resolution)
MATCH_ID_RE = re.compile(r"^[0-9a-f]{32}$")
PLAYER_COLORS = ("#ff8c00", "#1e90ff", "#2e8b57", "#c71585", "#8b4513", "#708090", "#daa520", "#4b0082")
_lock = threading.Lock()  # one re-simulation at a time: they are CPU-bound and share the cache


class NoReplay(ArenaError):
    """The match has no stored replay (unknown id, or played with --no-replays)."""


def valid_match_id(mid: str) -> bool:
    return bool(MATCH_ID_RE.match(mid))


def cache_paths(cache_dir: Path, mid: str) -> tuple[Path, Path]:
    """(frames .json.gz, mat .png) of a match; ValueError for anything but a match id."""
    if not valid_match_id(mid):
        raise ValueError(f"not a match id: {mid!r}")
    d = cache_dir / "trajectories"
    return d / f"{mid}.json.gz", d / f"{mid}.png"


def _hex(color) -> str:
    r, g, b = (int(max(0, min(255, c))) for c in color[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _footprint(robot) -> list[list]:
    """A robot's parts seen from above, in its own frame: [x mm, y mm, yaw deg, length mm, width mm,
    colour], chassis first, then wheels and sensors (the order arena.world.draw.TopDown uses)."""
    from arena.kit.catalogue import catalogue
    from arena.units import parse_color

    cat = catalogue()
    order = {"structure": 0, "brick": 1, "motor": 2, "caster": 3, "wheel": 4, "bumper": 5, "sensor": 6}
    out = []
    for pp in sorted(robot.asm.poses.values(), key=lambda q: order.get(q.part.kind, 9)):
        part = cat[pp.part.part]
        yaw = math.atan2(2 * (pp.quat[3] * pp.quat[2]), 1 - 2 * pp.quat[2] ** 2)
        out.append([round(pp.pos[0] * 1000, 1), round(pp.pos[1] * 1000, 1), round(math.degrees(yaw), 2),
                    float(part.size[0]), float(part.size[1]), _hex(parse_color(pp.part.color or part.color))])
    return out


def _object_shape(spec) -> dict:
    """A movable object's outline from above (mm), as arena.world.draw.TopDown.object draws it."""
    sx, sy = spec.size[0], spec.size[1]
    if spec.shape == "cylinder" and spec.axis == "x":
        sx, sy = spec.size[2], spec.size[0]
    return {"id": spec.id, "shape": "disc" if spec.shape == "cylinder" and spec.axis == "z" else "rect",
            "size": [float(sx), float(sy)], "color": _hex(spec.color)}


def _png(img) -> bytes:
    import imageio.v2 as imageio

    buf = io.BytesIO()
    imageio.imwrite(buf, img, format="png")
    return buf.getvalue()


def compute(rep: dict, fps: int = FPS) -> tuple[dict, bytes]:
    """Re-simulate a replay; returns (the frames document, the mat of its layout as PNG bytes).
    ArenaError when it cannot be re-simulated (another engine, a world or robot file missing)."""
    from arena.view.trace import trace_replay
    from arena.world.draw import TopDown

    start: dict = {}

    def at_start(step, match, trace):
        if step:
            return
        td = TopDown(match.world, scale=MAT_SCALE, layout=match.layout)
        start["png"] = _png(td.base)
        start["mat"] = {"width": td.w_m * 1000, "height": td.h_m * 1000, "pixels": list(td.base.shape[1::-1])}
        start["robots"] = [{"robot": r.spec.name, "parts": _footprint(r)} for r in match.robots]
        start["movable"] = [k for k, p in enumerate(match.layout.objects) if p.spec.mass > 0]
        start["objects"] = [_object_shape(match.layout.objects[k].spec) for k in start["movable"]]
        start["dt"] = match.sim.control_dt

    trace = trace_replay(rep, on_step=at_start)
    dt = start["dt"]
    stride = max(1, round(1.0 / (fps * dt)))
    last = len(trace) - 1
    picks = [k for k in range(0, last + 1, stride)]
    if picks[-1] != last:
        picks.append(last)  # the final state is always a frame: the score the match ended with
    frames = []
    for k in picks:
        frame = {"t": round(trace.time(k), 3),
                 "robots": [{"x": round(p.poses[k][0] * 1000, 1), "y": round(p.poses[k][1] * 1000, 1),
                             "heading": round(math.degrees(p.poses[k][2]), 2)} for p in trace.players],
                 "scores": [round(p.totals[k], 4) for p in trace.players]}
        if start["movable"]:
            frame["objects"] = [[round(trace.objects[k][j][0] * 1000, 1), round(trace.objects[k][j][1] * 1000, 1),
                                 round(math.degrees(trace.objects[k][j][2]), 2)] for j in start["movable"]]
        frames.append(frame)
    results = rep.get("results", [])
    doc = {
        "format": FORMAT, "match_id": rep["match_id"], "world": rep["world"]["id"], "seed": int(rep["seed"]),
        "engine": rep.get("engine", ""), "frame_dt": round(stride * dt, 6), "duration": frames[-1]["t"],
        "mat": start["mat"],
        "players": [{"agent": p.get("agent", "?"), "agent_hash": p.get("agent_hash", ""), "robot": s["robot"],
                     "color": PLAYER_COLORS[i % len(PLAYER_COLORS)], "parts": s["parts"],
                     "status": results[i].get("status", "") if i < len(results) else "",
                     "total": results[i].get("total") if i < len(results) else None}
                    for i, (p, s) in enumerate(zip(rep["players"], start["robots"], strict=True))],
        "objects": start["objects"],
        "frames": frames,
    }
    return doc, start["png"]


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached(store, cache_dir: Path, mid: str) -> bytes:
    """The gzipped frames JSON of a match: from the cache, else re-simulated once and cached.
    ValueError for a malformed id, NoReplay when the store has no replay of it, ArenaError when
    re-simulating fails."""
    frames_path, png_path = cache_paths(cache_dir, mid)
    if frames_path.is_file() and png_path.is_file():
        return frames_path.read_bytes()
    with _lock:
        if frames_path.is_file() and png_path.is_file():  # another request computed it meanwhile
            return frames_path.read_bytes()
        rep = store.replay(mid)
        if rep is None:
            raise NoReplay(f"match {mid} has no stored replay (unknown id, or played with --no-replays)")
        try:
            doc, png = compute(rep)
        except ArenaError as exc:
            raise ArenaError(f"match {mid} cannot be re-simulated: {exc}") from None
        data = gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), mtime=0)
        _write_atomic(png_path, png)
        _write_atomic(frames_path, data)
    return data


def mat_png(store, cache_dir: Path, mid: str) -> Path:
    """The PNG of a match's mat (computed with its frames when missing)."""
    _, png_path = cache_paths(cache_dir, mid)
    if not png_path.is_file():
        cached(store, cache_dir, mid)
    return png_path

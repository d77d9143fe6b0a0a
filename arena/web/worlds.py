"""The worlds the site knows: the bundled ones, looked up by name or id only.

A request names a world as text; that text is only ever a key into this catalogue, never a path
(arena.content.resolve would open any existing file it was given). Pictures are drawn once per
world file content (arena.world.draw.world_sheet) and cached under <store folder>/web-cache/worlds/.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

_draw_lock = threading.Lock()  # pygame drawing is not made for several threads at once


@dataclass(frozen=True)
class WorldInfo:
    name: str  # the file's stem: line-follow
    id: str  # LineFollow-v0
    path: str
    hash: str
    players: int
    description: str
    time_limit: float
    robot: str
    rules: str  # the header comment of the world file
    terms: tuple  # (name, kind, weight, params) per scoring term


def _header(path: str) -> str:
    """The world file's leading comment: its rules, scoring, baseline and version history."""
    lines = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if not s.startswith("#"):
            if s or lines:
                break
            continue
        lines.append(s[1:].removeprefix(" "))
    return "\n".join(lines).strip()


@functools.lru_cache(maxsize=1)
def catalogue() -> tuple[WorldInfo, ...]:
    from arena.compete.tournament import bundled_worlds
    from arena.world.spec import load_world

    out = []
    for w in bundled_worlds():
        spec = load_world(Path(w.path))
        terms = tuple((t.name, t.kind, t.weight, dict(t.params)) for t in spec.terms)
        out.append(WorldInfo(Path(w.path).stem, w.id, w.path, w.hash, w.players, spec.description, spec.time_limit,
                             spec.robot, _header(w.path), terms))
    return tuple(out)


def find(text: str | None) -> WorldInfo | None:
    """A bundled world by its name (line-follow) or id (LineFollow-v0), case-insensitive; else None."""
    if not text:
        return None
    key = text.strip().lower()
    for w in catalogue():
        if key in (w.name.lower(), w.id.lower()):
            return w
    return None


def by_id(wid: str) -> WorldInfo | None:
    for w in catalogue():
        if w.id == wid:
            return w
    return None


@functools.lru_cache(maxsize=1)
def baseline_hashes() -> dict[str, str]:
    """agent hash -> name of every bundled agent (the baselines the world files name)."""
    from arena.compete.tournament import bundled_agents

    return {a.hash: a.name for a in bundled_agents()}


def picture(world: WorldInfo, cache_dir: Path) -> Path:
    """The world drawn from above (seed 0, zones and start poses labelled), as a cached PNG."""
    out = cache_dir / "worlds" / f"{world.name}-{world.hash[:16]}.png"
    if out.is_file():
        return out
    from arena.world.draw import world_sheet
    from arena.world.spec import load_world

    with _draw_lock:
        if out.is_file():
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        sheet = world_sheet(load_world(Path(world.path)), seed=0, scale_mm=3.0)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".tmp-", suffix=".png")
        os.close(fd)
        try:
            sheet.save(tmp)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return out

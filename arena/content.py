"""Community content: finding robots/, worlds/ and agents/ by name or by path, the
content hashes that identify them in results, and an agent's manifest (agent.toml).

Search order: the ARENA_PATH environment variable (folders separated by os.pathsep, each holding
robots/, worlds/, agents/), then the source checkout this package lives in, then the copy bundled
inside the installed package (a plain `pip install .` ships it as arena/_bundled).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from arena.errors import ArenaError, NotFoundError, SpecError
from arena.tomlio import Table, depends_on, load_toml

KINDS = {"robots": ".toml", "worlds": ".toml", "agents": ""}


def roots() -> list[Path]:
    out: list[Path] = []
    for entry in os.environ.get("ARENA_PATH", "").split(os.pathsep):
        if entry:
            out.append(Path(entry).expanduser())
    here = Path(__file__).resolve().parent
    checkout = here.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "worlds").is_dir():
        out.append(checkout)
    bundled = here / "_bundled"
    if bundled.is_dir():
        out.append(bundled)
    return out


def listing(kind: str) -> list[Path]:
    """Every item of a kind, first root wins for a name."""
    seen: dict[str, Path] = {}
    for root in roots():
        d = root / kind
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            if p.name.startswith((".", "_")):
                continue
            if kind == "agents":
                ok = p.is_dir() and ((p / "controller.py").is_file() or (p / "main.py").is_file()) or p.suffix == ".py"
                name = p.stem if p.suffix == ".py" else p.name
            else:
                ok = p.suffix == KINDS[kind]
                name = p.stem
            if ok and name not in seen:
                seen[name] = p
    return list(seen.values())


def resolve(kind: str, name_or_path: str | os.PathLike) -> Path:
    """A path as given if it exists, else a bundled item by name (a world also by its id)."""
    p = Path(name_or_path)
    depends_on(p)  # inside a cached load (a robot that extends one by name): every place looked at
    if p.exists():
        return p
    name = str(name_or_path)
    for root in roots():
        for cand in (root / kind / name, root / kind / f"{name}{KINDS[kind]}", root / kind / f"{name}.py"):
            depends_on(cand)
            if cand.exists() and (kind != "agents" or cand.is_dir() or cand.suffix == ".py"):
                return cand
    if kind == "worlds":
        for f, wid in _world_ids():
            if wid.lower() == name.lower():
                return f
        known = ", ".join(f"{f.stem} ({wid})" for f, wid in _world_ids()) or "(none)"
        raise NotFoundError(f"no world {name!r}: give a world file, a world name or a world id: {known}")
    known = ", ".join(x.stem if x.suffix else x.name for x in listing(kind)) or "(none)"
    singular = kind[:-1]
    raise NotFoundError(f"no {singular} {name!r}: give a path to a file or one of: {known}")


def read_world_id(path: str | Path) -> str:
    """The `id` of a world file, read without building the world."""
    wid = load_toml(Path(path)).get("id")
    if not isinstance(wid, str) or not wid:
        raise SpecError(str(path), "id", "missing or not a string", 'add id = "Name-v0"')
    return wid


def _world_ids() -> list[tuple[Path, str]]:
    """(file, id) of every bundled world whose file reads (a broken one is left to `arena check`)."""
    out = []
    for f in listing("worlds"):
        try:
            out.append((f, read_world_id(f)))
        except ArenaError:
            continue
    return out


def world_id(name_or_path_or_id: str | os.PathLike, known: Iterable[str] = ()) -> str:
    """The world id for a world's file name (line-follow), its path or its id (LineFollow-v0) alike.

    `known` adds ids that need no file (e.g. the worlds a results database holds); an unknown
    world is a NotFoundError that lists the known ones."""
    name = str(name_or_path_or_id)
    extra = {k.lower(): k for k in known}
    if not Path(name).exists() and name.lower() in extra:
        return extra[name.lower()]
    try:
        return read_world_id(resolve("worlds", name))
    except NotFoundError:
        if not extra:
            raise
    files = {wid for _, wid in _world_ids()}
    listed = ", ".join(f"{f.stem} ({wid})" for f, wid in _world_ids())
    more = ", ".join(sorted(set(extra.values()) - files))
    raise NotFoundError(f"no world {name!r}: give a world file, a world name or a world id: "
                        + ", ".join(x for x in (listed, more) if x))


def agent_hash(path: Path) -> str:
    """Content hash of an agent (every file under its folder, or the single file).

    Each file's path relative to the folder (as bytes: a name that is not valid UTF-8 hashes as it
    is on disk, never an error) then its bytes, in path-part order; __pycache__ is left out."""
    path = Path(path)
    base = path.parent if path.is_file() else path
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    keyed = sorted((tuple(os.fsencode(part) for part in f.relative_to(base).parts), f) for f in files)
    h = hashlib.sha256()
    for parts, f in keyed:
        h.update(b"/".join(parts))
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def file_hash(path: str | Path) -> str:
    """Content hash of one file (a robot build file, a world file)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def load_agent_manifest(agent_dir: Path) -> dict:
    """agent.toml beside controller.py: name, robot, worlds (optional for a single .py agent)."""
    f = agent_dir / "agent.toml"
    if not f.is_file():
        return {"name": agent_dir.stem, "robot": None, "worlds": []}
    return agent_manifest(load_toml(f), str(f), agent_dir.name)


def agent_manifest(data: dict, file: str, default_name: str) -> dict:
    """A parsed agent.toml -> name, robot, worlds, description, author; SpecError naming the key."""
    t = Table(data, file)
    worlds = t.raw("worlds", [])
    if not isinstance(worlds, list) or not all(isinstance(w, str) and w for w in worlds):
        raise SpecError(file, "worlds", "expected a list of world ids", 'worlds = ["LineFollow-v0"]')
    return {"name": t.str("name", default_name), "robot": t.str("robot", None), "worlds": worlds,
            "description": t.str("description", ""), "author": t.str("author", "")}

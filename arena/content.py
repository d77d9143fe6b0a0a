"""Community content: finding robots/, worlds/ and agents/ by name or by path, the
content hashes that identify them in results, and an agent's manifest (agent.toml).

Search order: the ARENA_PATH environment variable (folders separated by os.pathsep, each holding
robots/, worlds/, agents/), then the source checkout this package lives in, then the copy bundled
inside the installed package (a plain `pip install .` ships it as arena/_bundled).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from arena.errors import ArenaError, NotFoundError
from arena.tomlio import Table, load_toml

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
    """A path as given if it exists, else a bundled item by name."""
    p = Path(name_or_path)
    if p.exists():
        return p
    name = str(name_or_path)
    for root in roots():
        for cand in (root / kind / name, root / kind / f"{name}{KINDS[kind]}", root / kind / f"{name}.py"):
            if cand.exists() and (kind != "agents" or cand.is_dir() or cand.suffix == ".py"):
                return cand
    known = ", ".join(x.stem if x.suffix else x.name for x in listing(kind)) or "(none)"
    singular = kind[:-1]
    raise NotFoundError(f"no {singular} {name!r}: give a path to a file or one of: {known}")


def agent_hash(path: Path) -> str:
    """Content hash of an agent (every file under its folder, or the single file)."""
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for f in files:
        h.update(str(f.relative_to(path.parent if path.is_file() else path)).encode())
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
    t = Table(load_toml(f), str(f))
    worlds = t.raw("worlds", [])
    if not isinstance(worlds, list) or not all(isinstance(w, str) for w in worlds):
        raise ArenaError(f"{f}: worlds: expected a list of world ids (fix: worlds = [\"LineFollow-v0\"])")
    return {"name": t.str("name", agent_dir.name), "robot": t.str("robot", None), "worlds": worlds,
            "description": t.str("description", ""), "author": t.str("author", "")}

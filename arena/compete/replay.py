"""Replays: what a match was, the commands that were applied, and state hashes to check.

A replay is JSON (gzip allowed, never pickle). It holds the seed, the versions, the configuration
(world file content hash, robots and agents with their hashes, control and physics dt), every
player's applied motor commands per control step, and the state hash (Match.state_digest) every
`hash_every` steps. Verification rebuilds the match from the same files and seed, applies the
recorded commands without running any controller, and checks every state hash, the trajectory
digest and the final scores. A replay is untrusted input: every command is validated again.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arena import __version__
from arena.compete.store import match_id
from arena.content import file_hash, listing
from arena.controllers.protocol import InvalidAction, validate_action
from arena.errors import ArenaError
from arena.sim import CONTROL_DT, PHYSICS_DT

FORMAT = "kit-arena-replay/1"
MAX_REPLAY_BYTES = 256 * 1024 * 1024  # decompressed


def build(world_file: str, world_id: str, seed: int, players: list[dict], results, hash_every: int) -> dict:
    """players[i]: {robot, robot_file, robot_hash, agent, agent_hash}; results: EpisodeResults of
    run_match(..., record=True, hash_every=hash_every), one per player."""
    steps = len(results[0].actions)
    return {
        "format": FORMAT, "engine": __version__, "pybullet": _pybullet_version(),
        "match_id": match_id(world_id, [(p["robot_hash"], p["agent_hash"]) for p in players], seed, __version__),
        "world": {"id": world_id, "file": str(world_file), "hash": file_hash(world_file)},
        "players": players, "seed": int(seed), "control_dt": CONTROL_DT, "physics_dt": PHYSICS_DT,
        "hash_every": int(hash_every), "steps": steps,
        "actions": [[r.actions[k] for r in results] for k in range(steps)],
        "checkpoints": results[0].checkpoints, "digest": results[0].digest,
        "results": [{"agent": r.agent, "status": r.status, "reason": r.reason, "total": r.score["total"],
                     "tiebreak_s": r.score["tiebreak_s"]} for r in results],
    }


def _pybullet_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pybullet")
    except PackageNotFoundError:  # pragma: no cover
        return "?"


def save(replay: dict, path: str | Path) -> None:
    data = json.dumps(replay, sort_keys=True, separators=(",", ":")).encode()
    p = Path(path)
    p.write_bytes(gzip.compress(data, mtime=0) if p.suffix == ".gz" else data)


def load(path: str | Path) -> dict:
    """Read a replay file (.json or .json.gz); refuses anything that is not replay JSON."""
    p = Path(path)
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
            raw = f.read(MAX_REPLAY_BYTES + 1)
        if len(raw) > MAX_REPLAY_BYTES:
            raise ArenaError(f"{p}: replay is over {MAX_REPLAY_BYTES >> 20} MB when decompressed")
    try:
        rep = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArenaError(f"{p}: not a replay (JSON expected): {exc}") from None
    if not isinstance(rep, dict) or rep.get("format") != FORMAT:
        raise ArenaError(f"{p}: not a Kit Arena replay (format {FORMAT!r} expected)")
    return rep


def _find(kind: str, recorded: str, want_hash: str) -> Path:
    """The file with this content hash: the recorded path, else any bundled file of that kind."""
    cands = [Path(recorded)] + listing(kind)
    for c in cands:
        if c.is_file() and file_hash(c) == want_hash:
            return c
    raise ArenaError(f"no {kind[:-1]} file with content hash {want_hash} (recorded as {recorded}): "
                     f"the replay needs the exact file it was recorded with")


@dataclass
class Verification:
    ok: bool
    message: str
    steps: int
    checked: int  # state hashes compared


def _simulate(rep: dict):
    """Rebuild the match and apply the recorded commands; yields (step, match, digest bytes)."""
    from arena.match import Match

    world = _find("worlds", rep["world"]["file"], rep["world"]["hash"])
    robots = [_find("robots", p["robot_file"], p["robot_hash"]) for p in rep["players"]]
    if rep.get("engine") != __version__:
        raise ArenaError(f"replay recorded with engine {rep.get('engine')}, this is {__version__}: "
                         "re-simulation is only exact on the same engine")
    match = Match(world, robots, float(rep["control_dt"]), float(rep["physics_dt"]))
    try:
        if match.world_spec.id != rep["world"]["id"]:
            raise ArenaError(f"world file is {match.world_spec.id}, replay says {rep['world']['id']}")
        match.reset(np.random.SeedSequence(int(rep["seed"])))
        yield 0, match, None
        for k, step_cmds in enumerate(rep["actions"]):
            if not isinstance(step_cmds, list) or len(step_cmds) != match.players:
                raise ArenaError(f"step {k}: expected commands for {match.players} player(s)")
            try:
                cmds = [validate_action(c, r.ports) if c else {} for c, r in zip(step_cmds, match.robots, strict=True)]
            except InvalidAction as exc:
                raise ArenaError(f"step {k}: invalid command in replay: {exc}") from None
            match.step(cmds)
            yield k + 1, match, match.state_digest()
    finally:
        match.close()


def verify(rep: dict) -> Verification:
    """Re-simulate and check the match id, every state hash, the trajectory digest and the scores."""
    try:
        mid = match_id(rep["world"]["id"], [(p["robot_hash"], p["agent_hash"]) for p in rep["players"]],
                       int(rep["seed"]), rep["engine"])
        if mid != rep["match_id"]:
            return Verification(False, f"match id {rep['match_id']} does not match the recorded configuration "
                                       f"({mid})", 0, 0)
        every = int(rep["hash_every"])
        expected = {int(s): str(h) for s, h in rep["checkpoints"]}
        if len(rep["actions"]) != int(rep["steps"]):
            return Verification(False, f"{len(rep['actions'])} recorded steps, header says {rep['steps']}", 0, 0)
        h = hashlib.sha256()
        checked, step, match_obj = 0, 0, None
        for step, match_obj, digest in _simulate(rep):
            if digest is None:
                continue
            h.update(digest)
            if every > 0 and step % every == 0:
                want = expected.pop(step, None)
                if want is None:
                    return Verification(False, f"state hash for step {step} is missing from the replay", step, checked)
                if digest.hex()[:16] != want:
                    return Verification(False, f"state hash differs at step {step} ({match_obj.time:.2f} s): "
                                               f"replay {want}, re-simulated {digest.hex()[:16]}", step, checked)
                checked += 1
        if expected:
            return Verification(False, f"replay has state hashes past its last step: {sorted(expected)[:3]}", step,
                                checked)
        if h.hexdigest()[:32] != rep["digest"]:
            return Verification(False, "trajectory digest differs from the replay's", step, checked)
        for i, res in enumerate(rep["results"]):
            total = match_obj.scorer.card(i).as_dict()["total"]
            if not math.isclose(total, float(res["total"]), rel_tol=0, abs_tol=1e-9):
                return Verification(False, f"player {i} score {res['total']} in the replay, {total} re-simulated",
                                    step, checked)
        return Verification(True, f"verified: {step} steps, {checked} state hashes, digest and scores match",
                            step, checked)
    except ArenaError as exc:  # missing files, another engine, invalid commands
        return Verification(False, str(exc), 0, 0)
    except (KeyError, TypeError, ValueError, OSError) as exc:
        return Verification(False, f"malformed replay: {type(exc).__name__}: {exc}", 0, 0)


def render_gif(rep: dict, out: str | Path, max_frames: int = 200, fps: int = 20, scale: float = 0.006) -> int:
    """Re-simulate the replay and write a top-down GIF; returns the number of frames."""
    import imageio.v2 as imageio

    from arena.world.draw import TopDown

    stride = max(1, math.ceil(int(rep["steps"]) / max_frames))
    frames, top = [], None
    for step, match, _ in _simulate(rep):
        if top is None:
            top = TopDown(match.world, scale=scale)
        if step % stride == 0 or step == int(rep["steps"]):
            frames.append(top.frame([(r, r.pose) for r in match.robots]))
    imageio.mimsave(str(out), frames, duration=1000 / fps, loop=0)
    return len(frames)

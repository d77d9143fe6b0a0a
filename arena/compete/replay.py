"""Replays: what a match was, the commands that were applied, and the digest chain to check.

A replay is JSON (gzip allowed, never pickle). It holds the seed, the versions, the configuration
(world file content hash, robots and agents with their hashes, control and physics dt), every
player's applied motor commands per control step (`commands`: the digest's own binary encoding,
arena.match.command_bytes, of every step one after the other, zlib-compressed and base64; read them
with `actions(rep)`), and the run's digest chain
(arena.match.Trajectory: the configuration, every step's commands and the full state they led
to): a 4-byte tag of it after the start and after every step, its first 16 hex digits every
`hash_every` steps, and the final digest. Verification rebuilds the match from the same files and
seed, applies the recorded commands without running any controller, recomputes the chain and
names the first step at which it differs. A replay is untrusted input: its structure is checked
on reading and every command is validated again.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import math
import zlib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from arena import __version__
from arena.compete.commands import decode_commands
from arena.compete.store import match_id
from arena.compete.storefile import show as show_path
from arena.content import file_hash, listing
from arena.controllers.protocol import InvalidAction, validate_action
from arena.errors import ArenaError
from arena.match import TAG_BYTES, Trajectory, command_bytes, load_world_spec, trajectory_header
from arena.sim import CONTROL_DT, PHYSICS_DT

FORMAT = "kit-arena-replay/3"
# readable (shown, rendered) and verifiable by their own digest rule: /2 kept the commands as JSON
# lists ("actions") and hashed them as JSON (arena.match.Trajectory rule 2)
VERIFIABLE_FORMATS = {FORMAT: 3, "kit-arena-replay/2": 2}
OLD_FORMATS = ("kit-arena-replay/1",)  # readable (shown, rendered), not verifiable: its hashes covered less
COMMANDS_LEVEL = 3  # zlib level of the commands: a 9000-step run in under 1 ms (6: 4x the time, 25 % smaller)
MAX_REPLAY_BYTES = 256 * 1024 * 1024  # decompressed
FILE_FIX = "pass a replay written by `arena replay MATCH_ID --out FILE`, or a match id with --db"


def build(world_file: str, world_id: str, seed: int, players: list[dict], results, hash_every: int,
          presses: list | None = None) -> dict:
    """players[i]: {robot, robot_file, robot_hash, agent, agent_hash}; results: EpisodeResults of
    run_match(..., record=True, hash_every=hash_every, presses=presses), one per player. Scripted
    button presses are kept (key presses) only when there were any: they are in the digest header.
    The commands come as the run's digest encoded them (EpisodeResult.commands) when it has them,
    else they are encoded from the results' actions."""
    steps = len(results[0].actions)
    blob = getattr(results[0], "commands", b"")
    if not blob:
        blob = b"".join(command_bytes([r.actions[k] for r in results]) for k in range(steps))
    if presses is None:  # run_match's default: the world's own start ritual ([brick] presses)
        presses = _world_presses(world_file)
    extra = {"presses": [[str(b), float(t0), float(t1)] for b, t0, t1 in presses]} if presses else {}
    if getattr(results[0], "messages", None):  # the bricks' traffic (radio.Radio.log), when there was any
        extra["messages"] = list(results[0].messages)
    return {**extra,
        "format": FORMAT, "engine": __version__, "pybullet": _pybullet_version(),
        "match_id": match_id(world_id, [(p["robot_hash"], p["agent_hash"]) for p in players], seed, __version__,
                             presses),
        "world": {"id": world_id, "file": str(world_file), "hash": file_hash(world_file)},
        "players": players, "seed": int(seed), "control_dt": CONTROL_DT, "physics_dt": PHYSICS_DT,
        "hash_every": int(hash_every), "steps": steps,
        "commands": _pack(blob),
        "checkpoints": results[0].checkpoints, "tags": results[0].tags, "digest": results[0].digest,
        "results": [{"agent": r.agent, "status": r.status, "reason": r.reason, "total": r.score["total"],
                     "tiebreak_s": r.score["tiebreak_s"]} for r in results],
    }


def _world_presses(world_file: str | Path) -> list:
    """The world's own [brick] presses; the file is read once per process while it is unchanged
    (a tournament worker builds a replay per match, mostly of the same few worlds)."""
    p = Path(world_file)
    st = p.stat()
    return _presses_of(str(p.resolve()), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=64)
def _presses_of(path: str, _mtime_ns: int, _size: int) -> list:
    return load_world_spec(path).presses


@cache  # one metadata lookup per process, not per match
def _pybullet_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pybullet")
    except PackageNotFoundError:  # pragma: no cover
        return "?"


def _pack(blob: bytes) -> str:
    return base64.b64encode(zlib.compress(blob, COMMANDS_LEVEL)).decode()


def actions(rep: dict) -> list[list[dict]]:
    """Every step's commands, one dict per player (as validate_action returns them); ArenaError
    if the replay's commands are damaged."""
    if "actions" in rep and rep.get("format") != FORMAT:  # kit-arena-replay/1 and /2: JSON lists
        return rep["actions"]
    try:
        packed = base64.b64decode(rep["commands"], validate=True)
        inflate = zlib.decompressobj()
        blob = inflate.decompress(packed, MAX_REPLAY_BYTES + 1)
        if len(blob) > MAX_REPLAY_BYTES or inflate.unconsumed_tail:
            raise ValueError(f"over {MAX_REPLAY_BYTES >> 20} MB decompressed")
        return decode_commands(blob, int(rep["steps"]), len(rep["players"]))
    except (binascii.Error, zlib.error, ValueError) as exc:
        raise ArenaError(f"key commands is damaged: {exc}") from None


def set_actions(rep: dict, steps: list[list[dict]]) -> None:
    """Replace the replay's commands (a tool or test that edits a replay); keeps key steps."""
    if rep.get("format") == FORMAT:
        rep["commands"] = _pack(b"".join(command_bytes(s) for s in steps))
    else:
        rep["actions"] = steps
    rep["steps"] = len(steps)


def save(replay: dict, path: str | Path) -> None:
    data = json.dumps(replay, sort_keys=True, separators=(",", ":")).encode()
    p = Path(path)
    try:
        p.write_bytes(gzip.compress(data, compresslevel=6, mtime=0) if p.name.endswith(".gz") else data)
    except OSError as exc:
        raise ArenaError(f"{show_path(p)}: cannot write the replay: {exc.strerror or exc} "
                         "(fix: give a file path in a writable folder, e.g. replay.json.gz)") from None


def load(path: str | Path) -> dict:
    """Read a replay file (.json or .json.gz); ArenaError for anything that is not replay JSON."""
    p = Path(path)
    where = show_path(p)
    try:
        if p.is_dir():
            raise ArenaError(f"{where} is a folder, not a replay file (fix: {FILE_FIX})")
        if p.exists() and not p.is_file():
            raise ArenaError(f"{where} is not a regular file (fix: {FILE_FIX})")
        with open(p, "rb") as f:
            raw = f.read(MAX_REPLAY_BYTES + 1)
    except PermissionError:
        raise ArenaError(f"{where}: cannot read the replay: permission denied (fix: make it readable, "
                         f"e.g. chmod u+r)") from None
    except OSError as exc:
        raise ArenaError(f"{where}: cannot read the replay: {exc.strerror or exc} (fix: {FILE_FIX})") from None
    return parse(raw, where, fix=FILE_FIX)


def parse(raw: bytes, where: str, fix: str = FILE_FIX) -> dict:
    """Replay bytes (JSON, gzip allowed) -> a structurally checked replay dict, else ArenaError
    naming `where`, what is wrong and `fix`."""
    if not isinstance(raw, bytes):
        raise ArenaError(f"{where}: not a replay (bytes expected, found {type(raw).__name__}) (fix: {fix})")
    if len(raw) > MAX_REPLAY_BYTES:
        raise ArenaError(f"{where}: replay is over {MAX_REPLAY_BYTES >> 20} MB (fix: {fix})")
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
                raw = f.read(MAX_REPLAY_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise ArenaError(f"{where}: damaged gzip data ({exc}) (fix: {fix})") from None
        if len(raw) > MAX_REPLAY_BYTES:
            raise ArenaError(f"{where}: replay is over {MAX_REPLAY_BYTES >> 20} MB when decompressed (fix: {fix})")
    try:
        rep = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArenaError(f"{where}: not a replay (JSON expected): {exc} (fix: {fix})") from None
    except RecursionError:
        raise ArenaError(f"{where}: not a replay (JSON nested too deeply) (fix: {fix})") from None
    fmt = rep.get("format") if isinstance(rep, dict) else None
    if fmt not in VERIFIABLE_FORMATS and fmt not in OLD_FORMATS:
        raise ArenaError(f"{where}: not a Kit Arena replay (format {FORMAT!r} expected, found {fmt!r}) (fix: {fix})")
    problem = _schema_problem(rep)
    if problem:
        raise ArenaError(f"{where}: not a valid {fmt} replay: {problem} (fix: {fix})")
    return rep


_NUMBER = (int, float)
_TOP = {"match_id": str, "engine": str, "world": dict, "players": list, "seed": int, "control_dt": _NUMBER,
        "physics_dt": _NUMBER, "hash_every": int, "steps": int, "checkpoints": list, "digest": str,
        "results": list}
_WORLD = {"id": str, "file": str, "hash": str}
_PLAYER = {"robot": str, "robot_file": str, "robot_hash": str, "agent": str, "agent_hash": str}
_RESULT = {"agent": str, "status": str, "total": _NUMBER, "tiebreak_s": _NUMBER}


def _bad_rows(rows: list, fields, key: str) -> str | None:
    """The first problem of a list of tables (players, results), each checked by _bad_fields."""
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            return f"key {key}[{i}] must be a table"
        problem = _bad_fields(row, fields, f"{key}[{i}].")
        if problem:
            return problem
    return None


def _bad_fields(d: dict, fields: dict, prefix: str) -> str:
    for key, kind in fields.items():
        v = d.get(key)
        if key not in d:
            return f"key {prefix}{key} is missing"
        if isinstance(v, bool) or not isinstance(v, kind):
            names = "/".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            return f"key {prefix}{key} must be {names}, found {type(v).__name__}"
    return ""


def _schema_problem(rep: dict) -> str:
    """The first structural problem of a replay, or ''."""
    fmt = rep.get("format")
    fields = dict(_TOP, commands=str) if fmt == FORMAT else dict(_TOP, actions=list)
    if fmt in VERIFIABLE_FORMATS:
        fields["tags"] = str
    problem = _bad_fields(rep, fields, "")
    if problem:
        return problem
    problem = _bad_fields(rep["world"], _WORLD, "world.")
    if problem:
        return problem
    if not rep["players"]:
        return "key players is empty"
    problem = _bad_rows(rep["players"], _PLAYER, "players")
    if problem:
        return problem
    problem = _presses_problem(rep.get("presses", [])) or _messages_problem(rep.get("messages", []))
    if problem:
        return problem
    if len(rep["results"]) != len(rep["players"]):
        return f"{len(rep['results'])} results for {len(rep['players'])} players"
    problem = _bad_rows(rep["results"], _RESULT, "results")
    if problem:
        return problem
    if rep["steps"] < 0 or rep["hash_every"] < 0:
        return "keys steps and hash_every must not be negative"
    if fmt != FORMAT and len(rep["actions"]) != rep["steps"]:
        return f"{len(rep['actions'])} recorded steps in actions, key steps says {rep['steps']}"
    for i, cp in enumerate(rep["checkpoints"]):
        if not (isinstance(cp, list) and len(cp) == 2 and type(cp[0]) is int and isinstance(cp[1], str)):
            return f"key checkpoints[{i}] must be [step, hash]"
    return ""


def _presses_problem(presses) -> str:
    """Key presses (optional): [[button, start s, end s], ...] as devices.parse_press makes them."""
    if not isinstance(presses, list):
        return f"key presses must be a list, found {type(presses).__name__}"
    for i, p in enumerate(presses):
        if not (isinstance(p, list) and len(p) == 3 and isinstance(p[0], str)
                and all(isinstance(t, _NUMBER) and not isinstance(t, bool) for t in p[1:])):
            return f"key presses[{i}] must be [button, start s, end s]"
    return ""


_MESSAGE = {"t_s": _NUMBER, "event": str, "from": str, "to": str}
_MAIL = {"at_s": _NUMBER, "frame": str}


def _messages_problem(messages) -> str:
    """Messaging traffic (optional): the run's EpisodeResult.messages (docs/brick.md, Messaging)."""
    if not isinstance(messages, list):
        return f"key messages must be a list, found {type(messages).__name__}"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("event") not in ("connect", "mail"):
            return f"key messages[{i}] must be a table with event connect or mail"
        problem = _bad_fields(m, _MESSAGE, f"messages[{i}].")
        if problem:
            return problem
        if m["event"] == "connect":  # ok is a bool: _bad_fields refuses bools everywhere else
            if not isinstance(m.get("ok"), bool):
                return f"key messages[{i}].ok must be true or false"
            continue
        problem = _bad_fields(m, _MAIL, f"messages[{i}].")
        if problem:
            return problem
        try:
            bytes.fromhex(m["frame"])
        except ValueError:
            return f"key messages[{i}].frame must be hexadecimal"
    return ""


def _find(kind: str, recorded: str, want_hash: str) -> Path:
    """The file with this content hash: the recorded path, else any bundled file of that kind."""
    for c in [Path(recorded)] + listing(kind):
        try:
            if c.is_file() and file_hash(c) == want_hash:
                return c
        except OSError:  # unreadable: look further
            continue
    raise ArenaError(f"no {kind[:-1]} file with content hash {want_hash} (recorded as {show_path(recorded)}): "
                     f"the replay needs the exact file it was recorded with")


@dataclass
class Verification:
    ok: bool
    message: str
    steps: int
    checked: int  # per-step tags compared


def _simulate(rep: dict):
    """Rebuild the match and apply the recorded commands; yields (0, match, None) after the
    reset, then (step, match, commands applied) after every step."""
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
        for k, step_cmds in enumerate(actions(rep)):
            if not isinstance(step_cmds, list) or len(step_cmds) != match.players:
                raise ArenaError(f"step {k}: expected commands for {match.players} player(s)")
            try:
                cmds = [validate_action(c, r.ports, s) if c else {}
                        for c, r, s in zip(step_cmds, match.robots, match.sonars, strict=True)]
            except InvalidAction as exc:
                raise ArenaError(f"step {k}: invalid command in replay: {exc}") from None
            match.step(cmds)
            yield k + 1, match, cmds
    finally:
        match.close()


def _tags(rep: dict) -> bytes:
    try:
        tags = base64.b64decode(rep["tags"], validate=True)
    except (binascii.Error, ValueError):
        raise ArenaError("key tags is not base64") from None
    if len(tags) != TAG_BYTES * (int(rep["steps"]) + 1):
        raise ArenaError(f"key tags holds {len(tags) // TAG_BYTES} tags for {rep['steps']} steps (one per step "
                         "and one for the start expected)")
    return tags


def _differs(step: int, match) -> str:
    if step == 0:
        return ("re-simulation differs from the recording at the start (step 0): the seed, the world layout, a "
                "robot, an agent hash or the start state is not what was recorded")
    return (f"re-simulation differs from the recording first at step {step} ({match.time:.2f} s): the commands "
            f"applied at that step (commands[{step - 1}]) or the state they led to are not what was recorded")


def verify(rep: dict) -> Verification:
    """Re-simulate and check the match id, the digest chain step by step, the checkpoints, the final
    digest and the scores; the message names the first step that differs."""
    try:
        if rep.get("format") in OLD_FORMATS:
            return Verification(False, f"format {rep['format']} was recorded by an older arena whose hashes cover "
                                       "only the bodies' base states; it cannot be verified by kit-arena "
                                       f"{__version__} (fix: play the match again to record a {FORMAT} replay)", 0, 0)
        players = [(p["robot_hash"], p["agent_hash"]) for p in rep["players"]]
        mid = match_id(rep["world"]["id"], players, int(rep["seed"]), rep["engine"], rep.get("presses"))
        if mid != rep["match_id"]:
            return Verification(False, f"match id {rep['match_id']} does not match the recorded configuration "
                                       f"({mid})", 0, 0)
        tags = _tags(rep)
        every = int(rep["hash_every"])
        expected = {int(s): str(h) for s, h in rep["checkpoints"]}
        # the presses reached only the controllers, whose commands are replayed: they change the
        # physics through those commands, and the header binds the replay to them
        header = trajectory_header(rep["world"]["id"], players, int(rep["seed"]), rep["engine"],
                                   rep.get("presses") or None)
        checked, step, match_obj, traj = 0, 0, None, None
        for step, match_obj, cmds in _simulate(rep):
            if traj is None:
                traj = Trajectory(match_obj, header, rule=VERIFIABLE_FORMATS.get(rep.get("format"), 3))
                chain = traj.chain
            else:
                chain = traj.step(cmds)
            if chain[:TAG_BYTES] != tags[step * TAG_BYTES:(step + 1) * TAG_BYTES]:
                return Verification(False, _differs(step, match_obj), step, checked)
            checked += 1
            if every > 0 and step > 0 and step % every == 0:
                want = expected.pop(step, None)
                if want is None:
                    return Verification(False, f"the checkpoint for step {step} is missing from the replay", step,
                                        checked)
                if chain.hex()[:16] != want:
                    return Verification(False, f"checkpoint differs at step {step} ({match_obj.time:.2f} s): "
                                               f"replay {want}, re-simulated {chain.hex()[:16]}", step, checked)
        if expected:
            return Verification(False, f"replay has checkpoints past its last step: {sorted(expected)[:3]}", step,
                                checked)
        if traj.digest != rep["digest"]:
            return Verification(False, f"the final digest differs: replay {rep['digest']}, re-simulated "
                                       f"{traj.digest}", step, checked)
        for i, res in enumerate(rep["results"]):
            total = match_obj.scorer.card(i).as_dict()["total"]
            if not math.isclose(total, float(res["total"]), rel_tol=0, abs_tol=1e-9):
                return Verification(False, f"player {i} score {res['total']} in the replay, {total} re-simulated",
                                    step, checked)
        return Verification(True, f"verified: {step} steps, every step's digest, {len(rep['checkpoints'])} "
                                  "checkpoints, the final digest and the scores match", step, checked)
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
    try:
        imageio.mimsave(str(out), frames, duration=1000 / fps, loop=0)
    except OSError as exc:
        raise ArenaError(f"{show_path(out)}: cannot write the GIF: {exc.strerror or exc} "
                         "(fix: give a file path in a writable folder, e.g. replay.gif)") from None
    return len(frames)

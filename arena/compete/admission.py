"""Admitting a submission: the worlds it plays, its stored copy, its validation episode.

The worlds come from, in this order: the ones asked for at submit time (`arena submit --world`,
repeatable; names, files and ids alike), else the ones its agent.toml declares (`worlds = [...]`),
else a trial episode (seed 0) on every bundled solo world with the robot it drives there (its
agent.toml `robot`, else the world's own): a world is chosen when the controller runs without
error and scores points. Head-to-head worlds are joined only when asked for or declared: a trial
against itself tells nothing. The choice is written into the stored copy's agent.toml, so every
later tournament schedules it on those worlds only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from arena.compete import tournament as T
from arena.compete.submissions import (
    Submission,
    SubmissionError,
    check_name,
    read_submission,
    shown,
    store_copy,
)
from arena.content import agent_manifest, resolve
from arena.controllers.protocol import OK
from arena.errors import ArenaError, NotFoundError

MANIFEST = "agent.toml"
FIX_WORLDS = "name its worlds with --world ID (repeatable) or worlds = [...] in agent.toml"


@dataclass
class Choice:
    """The worlds a submission plays and why."""
    worlds: list  # tournament.World entries, in the order given or found
    how: str  # "asked" (--world), "declared" (agent.toml) or "trial" (trial episodes)
    notes: list[str] = field(default_factory=list)  # one line per world considered: in or out, and why


def read_manifest(files: dict[str, bytes], label: str, name: str) -> dict:
    """The submission's agent.toml (defaults when it has none; label names it in errors); SpecError
    naming its key."""
    if MANIFEST not in files:
        return {"name": name, "robot": None, "worlds": []}
    try:
        data = tomllib.loads(files[MANIFEST].decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SubmissionError(f"{label}: not UTF-8 text (fix: save it as UTF-8)") from None
    except tomllib.TOMLDecodeError as exc:
        raise SubmissionError(f"{label}: not valid TOML: {exc} (fix: correct the syntax at that line)") from None
    man = agent_manifest(data, label, name)
    if man["robot"] is not None:
        try:
            resolve("robots", man["robot"])
        except NotFoundError as exc:
            raise SubmissionError(f"{label}: robot: {exc}") from None
    return man


def with_worlds(files: dict[str, bytes], ids: list[str], label: str) -> dict[str, bytes]:
    """The files with agent.toml's top-level `worlds` set to ids (the rest of the file as written)."""
    line = f"worlds = {json.dumps(ids)}"
    old = files.get(MANIFEST, b"").decode("utf-8-sig")
    before = tomllib.loads(old)
    if "worlds" in before:
        text = re.sub(r"(?m)^worlds\s*=\s*\[[^\]]*\]", line, old, count=1)
    else:  # a key written before any [table] header is top-level
        text = f"{line}  # chosen by arena submit\n{old}"
    try:
        after = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        after = None
    if after != {**before, "worlds": ids}:
        raise SubmissionError(f"{label}: could not set worlds = [...] in it (fix: write worlds = "
                              f"{json.dumps(ids)} on one line at the top of it yourself)")
    return {**files, MANIFEST: text.encode()}


def _worlds_asked(requested: Iterable[str], declared: list[str], label: str) -> Choice:
    worlds: dict[str, T.World] = {}
    for r in requested:
        w = T.load_world_entry(r)
        worlds.setdefault(w.id, w)
    stray = [wid for wid in worlds if declared and wid not in declared]
    if stray:
        raise SubmissionError(f"{label} declares worlds = {json.dumps(declared)}, not {', '.join(stray)} "
                              "(fix: add it there, or leave out that --world)")
    return Choice(list(worlds.values()), "asked", [f"{wid}: asked for with --world" for wid in worlds])


def _worlds_declared(declared: list[str], label: str) -> Choice:
    choice = Choice([], "declared")
    for wid in declared:
        try:
            choice.worlds.append(T.load_world_entry(wid))
            choice.notes.append(f"{wid}: declared in {MANIFEST}")
        except NotFoundError:
            choice.notes.append(f"{wid}: declared in {MANIFEST}, but no bundled world has that id (pass its "
                                "file with --world)")
    if not choice.worlds:
        raise SubmissionError(f"{label}: none of its worlds {json.dumps(declared)} is a bundled world "
                              "(fix: pass the world files with --world)")
    return choice


def _play_trials(jobs: list[T.Job], workers: int) -> list:
    """Outcome or exception per job, in order."""
    from arena.compete.backends import make_backend

    be = make_backend("local", max(1, min(workers, len(jobs))))
    try:
        handles = {be.submit(T.execute, j): i for i, j in enumerate(jobs)}
        out: list = [None] * len(jobs)
        pending = list(handles)
        while pending:
            for h, res in be.wait(pending):
                out[handles[h]] = res
                pending.remove(h)
        return out
    finally:
        be.close()


def _worlds_by_trial(files: dict[str, bytes], name: str, root: Path, candidates: list[T.World], workers: int,
                     on_trials: Callable[[list[str]], None] | None) -> Choice:
    choice = Choice([], "trial")
    solo = [w for w in candidates if w.players == 1]
    for w in candidates:
        if w.players != 1:
            choice.notes.append(f"{w.id}: not chosen: a head-to-head world (a trial against itself tells nothing; "
                                "ask for it with --world)")
    stage = Path(tempfile.mkdtemp(prefix=".trial-", dir=root))
    try:
        folder = stage / name
        for rel, data in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
        agent = T.load_agent(folder, name)
        jobs = [T.Job(f"trial-{w.id}", w.path, w.id, w.hash, 0, (T.player_entry(w, agent),), record=False)
                for w in solo]
        if on_trials:
            on_trials([w.id for w in solo])
        outcomes = _play_trials(jobs, workers) if jobs else []
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    for w, res in zip(solo, outcomes, strict=True):
        if not isinstance(res, T.Outcome):
            choice.notes.append(f"{w.id}: not chosen: the trial could not run (arena failure: {res})")
            continue
        r = res.results[0]
        if r.status != OK:
            choice.notes.append(f"{w.id}: not chosen: {r.status} in the trial - {shown(r.reason)[1:-1]}")
        elif r.score["total"] <= 0:
            choice.notes.append(f"{w.id}: not chosen: the trial scored 0 points")
        else:
            choice.worlds.append(w)
            choice.notes.append(f"{w.id}: chosen: the trial scored {r.score['total']:.2f} points")
    if not choice.worlds:
        raise SubmissionError(f"{shown(name)} scored points in no trial ({'; '.join(choice.notes)}) "
                              f"(fix: {FIX_WORLDS})")
    return choice


def admit(src: str | Path, name: str, owner: str, root: Path, requested: Iterable[str] = (), workers: int = 1,
          candidates: list[T.World] | None = None,
          on_trials: Callable[[list[str]], None] | None = None) -> tuple[Submission, Choice]:
    """Check a submission, choose its worlds (see the module docstring; candidates for the trials
    default to the bundled worlds) and store it with them in its agent.toml."""
    check_name(name)
    where = shown(os.path.join(os.fsdecode(src), MANIFEST))  # how errors about its manifest name it
    files = read_submission(src)
    man = read_manifest(files, where, name)
    requested = list(requested)
    root.mkdir(parents=True, exist_ok=True)
    if requested:
        choice = _worlds_asked(requested, man["worlds"], where)
    elif man["worlds"]:
        choice = _worlds_declared(man["worlds"], where)
    else:
        choice = _worlds_by_trial(files, name, root, T.bundled_worlds() if candidates is None else candidates,
                                  workers, on_trials)
    ids = [w.id for w in choice.worlds]
    if choice.how != "declared" and ids != man["worlds"]:
        files = with_worlds(files, ids, where)
    path, h, new = store_copy(files, root, name)
    return Submission(name, owner, h, path, new), choice


# -- validation --------------------------------------------------------------------------------------
@dataclass
class Validation:
    """How a stored submission's validation episode went and, when accepted, its scheduled matches."""
    world: str  # id of the world the episode ran on (seed 0)
    accepted: bool
    reason: str = ""  # why it was rejected: "STATUS: reason" of the failed run
    output: str = ""  # the failed controller's output (capped)
    total: float = 0.0  # the episode's points when accepted
    worlds: list = field(default_factory=list)  # tournament.World entries it plays on
    agents: list = field(default_factory=list)  # the tournament's roster, the submission included
    jobs: list = field(default_factory=list)  # every match of the submission in the schedule
    pending: list = field(default_factory=list)  # those not stored yet


def validate(sub: Submission, store, worlds: list, seeds: int = 3,
             on_episode: Callable[[str], None] | None = None) -> Validation:
    """Play one episode (seed 0) with the stored copy on the first of `worlds` (tournament.World
    entries, as admit() chose them) it targets, record the submission as accepted or rejected in
    the store and schedule its matches there over `seeds` seeds. on_episode(world id) is called
    before the episode. ArenaError when it targets none of them (recorded as rejected) or the arena
    itself fails (nothing recorded)."""
    agent = T.load_agent(sub.path, sub.name)
    mine = [w for w in worlds if T.targets(agent, w)]
    if not mine:
        store.add_submission(sub.agent_hash, sub.name, sub.owner, str(sub.path), "rejected", "targets no world")
        raise ArenaError(f"{sub.name} targets none of these worlds: {', '.join(w.id for w in worlds)} "
                         f"(fix: {FIX_WORLDS})")
    w = mine[0]
    if on_episode:
        on_episode(w.id)
    job = T.schedule([w], [agent], [0])[0] if w.players == 1 else T.Job(
        "validation", w.path, w.id, w.hash, 0, (T.player_entry(w, agent),) * w.players, record=False)
    try:
        out = T.execute(job)
    except Exception as exc:  # noqa: BLE001 - an arena failure: nothing is held against the submission
        raise ArenaError(f"validation could not run (arena failure, not your agent): {exc}") from None
    bad = [r for r in out.results if r.status != OK]
    if bad:
        reason = f"{bad[0].status}: {bad[0].reason}"
        store.add_submission(sub.agent_hash, sub.name, sub.owner, str(sub.path), "rejected", reason)
        return Validation(w.id, False, reason, bad[0].output)
    if w.players == 1:
        store.add_match(out.results, out.replay, w.hash)
    store.add_submission(sub.agent_hash, sub.name, sub.owner, str(sub.path), "accepted", "")
    agents = T.roster(store)
    jobs = [j for j in T.schedule(mine, agents, range(seeds))
            if any(p["agent_hash"] == sub.agent_hash for p in j.players)]
    stored = store.match_ids()
    pending = [j for j in jobs if j.match_id not in stored]
    return Validation(w.id, True, total=out.results[0].score["total"], worlds=mine, agents=agents, jobs=jobs,
                      pending=pending)

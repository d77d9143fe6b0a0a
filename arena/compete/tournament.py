"""Tournaments: a schedule of matches, played on a backend (arena.compete.backends: a local
process pool or Ray), written to the store by the arena process only.

- Solo worlds (players == 1): every agent that targets the world plays the same fixed seeds.
- Head-to-head worlds (players == 2): a round robin; every pair plays every seed from both start
  positions (A as player 0 and B as player 1, then swapped).
- Every match has an id (arena.compete.store.match_id) known before it runs: matches already stored are
  skipped, so a tournament that was killed resumes where it stopped, with no duplicates.
- A match is claimed in the store (a lease, renewed while it plays) before a worker gets it, so
  tournaments running at the same time on one store split the matches instead of playing each twice;
  a killed claimant's matches are taken over once its lease runs out (at once when it ran on this host).
- Controller statuses (ERROR / TIMEOUT / INVALID) are results. Infrastructure failures (a worker
  that dies, an exception in the arena itself) are recorded in the store's failures table,
  unranked, and the match is retried up to `retries` more times.
"""

from __future__ import annotations

import itertools
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from arena import __version__
from arena.compete.store import LEASE_S, Store, claimant, match_id
from arena.content import agent_hash, file_hash, listing, load_agent_manifest, resolve
from arena.errors import ArenaError

HASH_EVERY = 100  # steps between state hashes in replays (1 s of simulated time)


@dataclass(frozen=True)
class Agent:
    path: str
    name: str
    hash: str
    robot: str | None  # manifest robot (name or path) or None for the world's
    worlds: tuple[str, ...]  # world ids it targets; empty = every world


@dataclass(frozen=True)
class World:
    path: str
    id: str
    hash: str
    players: int
    robot: str  # the world's default robot
    presses: tuple = ()  # the world's [brick] presses: part of each match's id


@dataclass(frozen=True)
class Job:
    """One match to play; everything a worker needs, as plain data."""
    match_id: str
    world: str  # world file path
    world_id: str
    world_hash: str
    seed: int
    players: tuple[dict, ...]  # per start position: robot, robot_file, robot_hash, agent, agent_path, agent_hash
    record: bool = True
    hash_every: int = HASH_EVERY


@dataclass
class Outcome:
    """What a worker returns: results (plain dicts) and the replay; nothing is written there."""
    match_id: str
    results: list = field(default_factory=list)  # EpisodeResult, actions stripped
    replay: dict | None = None


# -- content -------------------------------------------------------------------------------------
def load_agent(path: str | Path, name: str | None = None) -> Agent:
    p = resolve("agents", path)
    man = load_agent_manifest(p) if p.is_dir() else {"name": p.stem, "robot": None, "worlds": []}
    return Agent(str(p.resolve()), name or (p.stem if p.is_file() else p.name), agent_hash(p), man["robot"],
                 tuple(man["worlds"]))


def load_world_entry(path: str | Path) -> World:
    from arena.world.spec import load_world

    p = resolve("worlds", path)
    spec = load_world(p)
    return World(str(p.resolve()), spec.id, file_hash(p), spec.players, spec.robot, spec.presses)


def bundled_worlds() -> list[World]:
    return [load_world_entry(w) for w in listing("worlds")]


def bundled_agents() -> list[Agent]:
    return [load_agent(a) for a in listing("agents")]


def player_entry(world: World, agent: Agent) -> dict:
    """One start position of a match: the agent and the robot it drives in this world, with their hashes."""
    robot_file = resolve("robots", agent.robot or world.robot)
    from arena.robot.spec import load_robot

    return {"robot": load_robot(robot_file).name, "robot_file": str(robot_file.resolve()),
            "robot_hash": file_hash(robot_file), "agent": agent.name, "agent_path": agent.path,
            "agent_hash": agent.hash}


def targets(agent: Agent, world: World) -> bool:
    return not agent.worlds or world.id in agent.worlds


# -- schedule --------------------------------------------------------------------------------------
def schedule(worlds: Iterable[World], agents: Iterable[Agent], seeds: Iterable[int], record: bool = True,
             hash_every: int = HASH_EVERY) -> list[Job]:
    """Every match of the tournament, in a stable order (seed-major so partial runs stay balanced)."""
    agents, seeds = list(agents), list(seeds)
    jobs = []
    for w in worlds:
        field_ = [a for a in agents if targets(a, w)]
        seat = {a.hash: player_entry(w, a) for a in field_}  # robot files are read once per world and agent
        if w.players == 1:
            lineups = [[a] for a in field_]
        elif w.players == 2:
            lineups = [list(pair) for a, b in itertools.combinations(field_, 2) for pair in ((a, b), (b, a))]
        else:
            raise ArenaError(f"{w.path}: tournaments support worlds of 1 or 2 players, this one has {w.players}")
        for seed in seeds:
            for lineup in lineups:
                players = tuple(seat[a.hash] for a in lineup)
                mid = match_id(w.id, [(p["robot_hash"], p["agent_hash"]) for p in players], seed, __version__,
                               w.presses)
                jobs.append(Job(mid, w.path, w.id, w.hash, seed, players, record, hash_every))
    return jobs


def select_worlds(paths: Iterable[str | Path] = ()) -> list[World]:
    """The worlds named (world names or files), else every bundled world."""
    paths = list(paths)
    return [load_world_entry(w) for w in paths] if paths else bundled_worlds()


@dataclass
class Plan:
    """A tournament about to play: its worlds, agents and matches."""
    worlds: list[World]
    agents: list[Agent]
    jobs: list[Job]
    pending: int  # matches not in the store yet


def plan(store: Store, seeds: int, world_paths: Iterable[str | Path] = (), agent_paths: Iterable[str] = (),
         record: bool = True, worlds: list[World] | None = None, agents: list[Agent] | None = None) -> Plan:
    """Schedule a tournament: the worlds given (else those named, else every bundled world) and the
    agents given (else those named, else the roster); ArenaError when nothing would play."""
    worlds = worlds or select_worlds(world_paths)
    agents = agents or roster(store, list(agent_paths))
    jobs = schedule(worlds, agents, range(seeds), record=record)
    if not jobs:
        raise ArenaError("nothing to play: no agent targets these worlds (check agent.toml worlds = [...])")
    stored = store.match_ids()
    return Plan(worlds, agents, jobs, sum(j.match_id not in stored for j in jobs))


# -- one match, in a worker ----------------------------------------------------------------------
def execute(job: Job) -> Outcome:
    """Play one match. Runs in a worker process; raises only for infrastructure failures."""
    from arena.compete import replay as replay_mod
    from arena.controllers.runner import run_match

    results = run_match(job.world, [(p["robot_file"], p["agent_path"]) for p in job.players], job.seed,
                        record=job.record, hash_every=job.hash_every if job.record else 0,
                        cpus="shared")  # other matches run beside this one: no polling on "spare" CPUs
    for p, r in zip(job.players, results, strict=True):
        if (r.agent_hash, r.robot_hash) != (p["agent_hash"], p["robot_hash"]):
            raise ArenaError(f"{p['agent']}: agent or robot files changed while the tournament ran "
                             f"(scheduled {p['agent_hash']}/{p['robot_hash']}, ran {r.agent_hash}/{r.robot_hash})")
        r.agent = p["agent"]
    rep = None
    if job.record:
        rep = replay_mod.build(job.world, job.world_id, job.seed,
                               [{k: p[k] for k in ("robot", "robot_file", "robot_hash", "agent", "agent_hash")}
                                for p in job.players], results, job.hash_every)
        if rep["match_id"] != job.match_id:
            raise ArenaError(f"match id mismatch: scheduled {job.match_id}, played {rep['match_id']}")
    for r in results:
        r.actions, r.checkpoints, r.tags, r.commands = [], [], "", b""  # in the replay now; not sent back per result
    return Outcome(job.match_id, results, rep)


# -- running ---------------------------------------------------------------------------------------
@dataclass
class Event:
    kind: str  # "result" | "failure" | "gave_up" | "elsewhere" (stored by another process)
    job: Job
    outcome: Outcome | None = None
    message: str = ""
    attempt: int = 0


@dataclass
class Summary:
    scheduled: int
    skipped: int  # already in the store when play() started
    played: int  # played and stored by this process
    failures: int  # infrastructure failures (each retried)
    gave_up: list[str] = field(default_factory=list)  # match ids that failed every attempt
    elsewhere: int = 0  # stored by another process (a tournament or worker on the same store) meanwhile
    discarded: int = 0  # played here, but another process stored it first (a lease that ran out)
    stored: list[str] = field(default_factory=list)  # match ids this process stored, in order


def _describe(exc: BaseException) -> str:
    tb = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return tb.splitlines()[-1][:500] if tb else type(exc).__name__


def play(jobs: list[Job], store: Store, backend, retries: int = 2, fn: Callable = execute,
         on_event: Callable[[Event], None] | None = None, in_flight: int | None = None, lease: float = LEASE_S,
         poll: float = 1.0) -> Summary:
    """Play every job not yet stored; write each outcome as it arrives (parent process only).

    Each match is claimed in the store before it is sent to a worker (a lease renewed every
    lease/3 s while it plays), so several processes on one store split the work: a match another
    live process holds is looked at again later (every `poll` s when nothing else is running) until
    it is stored or its lease runs out."""
    owner = claimant()
    done = store.match_ids()
    todo = [j for j in jobs if j.match_id not in done]
    todo = list({j.match_id: j for j in todo}.values())
    summary = Summary(len(jobs), len(jobs) - len(todo), 0, 0)
    queue: list[tuple[Job, int]] = [(j, 0) for j in reversed(todo)]
    held: list[tuple[Job, int]] = []  # claimed by another live process
    running: dict = {}
    # one match queued beyond the workers keeps them busy while this process writes results
    limit = in_flight or getattr(backend, "workers", 1) + 1
    renewed = time.monotonic()

    def emit(kind, job, **kw):
        if on_event:
            on_event(Event(kind, job, **kw))

    try:
        while queue or running or held:
            if not queue and held:
                queue, held = held[::-1], []
            while queue and len(running) < limit:
                job, attempt = queue.pop()
                state = store.claim(job.match_id, owner, lease)
                if state == "stored":
                    summary.elsewhere += 1
                    emit("elsewhere", job)
                elif state == "taken":
                    held.append((job, attempt))
                else:
                    running[backend.submit(fn, job)] = (job, attempt)
            if not running:
                if held:
                    time.sleep(poll)  # everything left is being played elsewhere: wait for it or its lease
                continue
            for handle, res in backend.wait(list(running), timeout=lease / 3):
                job, attempt = running.pop(handle)
                if isinstance(res, Outcome) and res.match_id == job.match_id:
                    if store.add_match(res.results, res.replay, job.world_hash):
                        summary.played += 1
                        summary.stored.append(job.match_id)
                        emit("result", job, outcome=res, attempt=attempt)
                    else:
                        summary.elsewhere += 1
                        summary.discarded += 1
                        emit("elsewhere", job)
                    continue
                msg = _describe(res) if isinstance(res, BaseException) else f"worker returned {type(res).__name__}"
                store.add_failure(job.match_id, attempt, msg)
                summary.failures += 1
                if attempt < retries:
                    queue.append((job, attempt + 1))  # still claimed: claim() renews it for the retry
                    kind = "failure"
                else:
                    store.release(job.match_id, owner)
                    summary.gave_up.append(job.match_id)
                    kind = "gave_up"
                emit(kind, job, message=msg, attempt=attempt)
            if running and time.monotonic() - renewed >= lease / 3:
                store.renew([j.match_id for j, _ in running.values()], owner, lease)
                renewed = time.monotonic()
    finally:  # interrupted: give back what this process holds (a killed one's leases just run out)
        for j, _ in running.values():
            store.release(j.match_id, owner)
    return summary


def roster(store: Store | None, agent_paths: list[str] | None = None) -> list[Agent]:
    """The agents of a tournament: those given, else every bundled agent plus the active submissions."""
    if agent_paths:
        return [load_agent(a) for a in agent_paths]
    agents = bundled_agents()
    if store is not None:
        have = {a.hash for a in agents}
        for s in store.submissions():
            if s["agent_hash"] not in have and Path(s["path"]).exists():
                agents.append(load_agent(s["path"], s["name"]))
                have.add(s["agent_hash"])
    return agents


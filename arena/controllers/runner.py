"""Controllers in their own process (layer 7): the protocol, action validation, episodes.

The arena never imports a controller. It starts `python -m arena.controllers.host` in a sandbox
(arena.controllers.sandbox), talks JSON lines to it, validates every action, and turns every failure into a
status (ERROR / TIMEOUT / INVALID) with a reason instead of an exception.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from arena import __version__
from arena.content import resolve
from arena.controllers.sandbox import Limits, Sandbox, SandboxError
from arena.errors import ArenaError
from arena.match import Match
from arena.units import MOTOR_PORTS

OK, ERROR, TIMEOUT, INVALID = "OK", "ERROR", "TIMEOUT", "INVALID"
COMMAND_KEYS = {"dc", "run", "target", "speed", "then", "stop", "reset_angle"}
STOP_MODES = ("coast", "brake", "hold")


class InvalidAction(Exception):
    pass


def _number(v, where: str) -> float:
    # exact types only: a bool (or any subclass trick) is not a duty
    if type(v) not in (int, float):
        raise InvalidAction(f"{where} must be a number, got {type(v).__name__}")
    f = float(v)
    if not math.isfinite(f):
        raise InvalidAction(f"{where} must be finite, got {v!r}")
    return f


def validate_action(action, ports: list[str]) -> dict:
    """A controller's action -> motor commands, or InvalidAction with the reason.

    Accepted: {"B": duty, ...} with duty in [-1, 1] (clipped), or per port a command dict
    {"dc": u} | {"run": deg/s} | {"target": deg, "speed": deg/s, "then": stop} | {"stop": mode}.
    Ports not mentioned keep their last command.
    """
    if type(action) is not dict:
        raise InvalidAction(f"act() must return a dict of motor port -> duty, got {type(action).__name__}")
    if len(action) > len(MOTOR_PORTS):
        raise InvalidAction(f"act() returned {len(action)} entries; the robot has ports {', '.join(ports)}")
    out: dict = {}
    for port, cmd in action.items():
        if port not in ports:
            raise InvalidAction(f"unknown motor port {port!r}: this robot has {', '.join(ports)}")
        if type(cmd) is dict:
            bad = set(cmd) - COMMAND_KEYS
            if bad or not cmd:
                raise InvalidAction(f"port {port}: unknown command keys {sorted(bad)}; use dc, run, target/speed/then, stop")
            c: dict = {}
            for k, v in cmd.items():
                if k in ("then", "stop"):
                    if v not in STOP_MODES:
                        raise InvalidAction(f"port {port}: {k} must be one of {', '.join(STOP_MODES)}")
                    c[k] = v
                else:
                    c[k] = _number(v, f"port {port} {k}")
            if "dc" in c:
                c["dc"] = min(1.0, max(-1.0, c["dc"]))
            out[port] = c
        else:
            out[port] = min(1.0, max(-1.0, _number(cmd, f"duty for port {port}")))
    return out


def _plain(v):
    return v.tolist() if hasattr(v, "tolist") else v


def plain_obs(raw: dict) -> dict:
    """Observation as JSON-friendly numbers (lists for vectors), in the brick's units."""
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in raw.items()}


def current_cpu() -> int:
    """The CPU this process is running on now (field 39 of /proc/self/stat)."""
    try:
        with open("/proc/self/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[36])
    except (OSError, ValueError, IndexError):
        return 0


def pin_to_cpu(cpu: int | None = None) -> None:
    """Keep this process, and the controllers it starts (affinity is inherited), on one CPU.

    Tournament workers each take their own CPU this way. The arena and its controllers take
    turns (the arena waits while a controller thinks, and the other way round), so one core
    serves them all when there is no spare one (see placement)."""
    if not hasattr(os, "sched_setaffinity"):
        return
    allowed = sorted(os.sched_getaffinity(0))
    cpu = current_cpu() if cpu is None else allowed[cpu % len(allowed)]
    if cpu in allowed:
        os.sched_setaffinity(0, {cpu})


@dataclass(frozen=True)
class Placement:
    """Which CPU the arena and each controller run on, and whether they poll for each other."""

    arena: int | None
    controllers: tuple[int | None, ...]
    spin: bool


def placement(n_controllers: int, allowed: set[int] | None = None, current: int | None = None) -> Placement:
    """Where a match's processes run, from the CPUs this process may use.

    With a core for the arena and one for each controller, each gets its own and both sides
    poll for the other's message instead of sleeping: a sleeping process on another core takes
    tens of microseconds to wake, more than a whole control step's Python. With fewer cores
    (a tournament worker pinned to one CPU, or a two-player match on two cores) everything runs
    on the arena's CPU and takes turns: a reply on the same core wakes the arena in a few
    microseconds (benchmarks/sandboxed_run.py measures both)."""
    if not hasattr(os, "sched_getaffinity"):
        return Placement(None, (None,) * n_controllers, False)
    allowed = set(os.sched_getaffinity(0) if allowed is None else allowed)
    here = current_cpu() if current is None else current
    arena = here if here in allowed else min(allowed)
    spare = sorted(allowed - {arena})
    if len(spare) >= n_controllers > 0:
        return Placement(arena, tuple(spare[:n_controllers]), True)
    return Placement(arena, (arena,) * n_controllers, False)


def motor_states(robot) -> dict:
    """What the brick's firmware knows about each motor beyond the observation: whether a
    run_target has finished and whether it is stalled (brick programs block on these)."""
    return {p: {"done": m.done, "stalled": m.stalled} for p, m in robot.motors.items()}


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


@dataclass
class EpisodeResult:
    world: str
    robot: str
    agent: str
    seed: int
    status: str
    reason: str
    score: dict  # ScoreCard.as_dict()
    steps: int
    sim_time: float
    wall_time: float
    digest: str  # hash of the whole trajectory
    isolation: str
    output: str = ""
    engine: str = __version__
    agent_hash: str = ""
    robot_hash: str = ""  # content hash of the robot build file
    actions: list = field(default_factory=list, repr=False)
    checkpoints: list = field(default_factory=list, repr=False)  # [step, state hash] every hash_every steps

    @property
    def total(self) -> float:
        return self.score["total"]

    def as_dict(self, with_actions: bool = False) -> dict:
        d = {k: getattr(self, k) for k in ("world", "robot", "robot_hash", "agent", "agent_hash", "seed", "status", "reason",
                                           "steps", "sim_time", "wall_time", "digest", "isolation", "engine", "output")}
        d["score"] = self.score
        if with_actions:
            d["actions"] = self.actions
        return d


class ControllerProcess:
    """One sandboxed controller: start, reset, act (send then receive, so several controllers
    think at the same time), close."""

    def __init__(self, agent: Path, limits: Limits, isolation: str = "auto", cpu: int | None = None,
                 spin: bool = False):
        self.agent = agent.resolve()
        host = Path(__file__).resolve().parent / "host.py"  # standard library only
        if self.agent.is_dir():  # only this agent's own folder is visible, never its neighbours
            readonly, files, self.agent_arg = [host.parent, self.agent], {}, str(self.agent)
        else:
            readonly, files, self.agent_arg = [host.parent], {"agent.py": self.agent}, "agent.py"
        self.sandbox = Sandbox([sys.executable, "-I", str(host)], readonly=readonly, workdir_files=files,
                               limits=limits, isolation=isolation, cpu=cpu, spin=spin)
        self.failed: SandboxError | None = None

    def _check(self, reply: dict) -> dict:
        if reply.get("type") == "error":
            where = {"import": "while loading", "reset": "in reset()", "act": "in act()"}.get(reply.get("where"), "")
            raise SandboxError(ERROR, f"controller raised {where}: {reply.get('message', '?')}"[:500])
        return reply

    def start(self, world_id: str, ports: list[str]) -> None:
        self.sandbox.start()
        ready = self._check(self.sandbox.request({"type": "init", "agent": self.agent_arg, "world": world_id,
                                                  "ports": ports, "spin": self.sandbox.spin}, first=True))
        # a brick program blocks on motor states and reads observations by name; a controller
        # class gets the values only, in the key order sent once at reset (half the JSON per step)
        self.brick = ready.get("brick") is True

    def reset(self, seed: int, info: dict, keys: list[str]) -> None:
        self.keys = keys
        self._check(self.sandbox.request({"type": "reset", "seed": seed, "info": info, "keys": keys}))

    def send_obs(self, t_ms: int, raw: dict, robot) -> None:
        if self.brick:
            msg = {"type": "act", "t": t_ms, "obs": plain_obs(raw), "motors": motor_states(robot)}
        else:
            msg = {"type": "act", "t": t_ms, "v": [_plain(raw[k]) for k in self.keys]}
        self.sandbox.send(msg)

    def recv_action(self):
        reply = self._check(self.sandbox.recv())
        if reply.get("type") != "action" or "action" not in reply:
            raise SandboxError(INVALID, "controller sent a message that is not an action")
        return reply["action"]

    def close(self) -> str:
        self.sandbox.close()
        return self.sandbox.output()

    @property
    def isolation(self) -> str:
        return self.sandbox.isolation


def run_match(world: str | Path, entrants: list[tuple[str | Path | None, str | Path]], seed: int = 0,
              limits: Limits | None = None, isolation: str = "auto", record: bool = False,
              hash_every: int = 0, cpus: str = "auto") -> list[EpisodeResult]:
    """Run one match: entrants[i] = (robot or None for the world's default, agent) drives player i.

    Never raises for anything a controller does: a controller that fails gets its status and
    reason, its robot's motors coast, and the match goes on for the others. record=True keeps the
    applied commands (EpisodeResult.actions); hash_every=N > 0 keeps Match.state_digest() after
    every N-th step (EpisodeResult.checkpoints), so a replay can be verified step by step.
    cpus: "auto" gives each controller a spare CPU when there is one (see placement); "shared"
    keeps the match on one CPU, for callers that run several matches at once (tournaments).
    """
    if cpus not in ("auto", "shared"):
        raise ValueError(f"cpus must be 'auto' or 'shared', not {cpus!r}")
    agents = [resolve("agents", a) for _, a in entrants]
    match = Match(world, [r for r, _ in entrants])
    limits = limits or Limits()
    where = placement(len(agents))
    if cpus == "shared":
        where = Placement(where.arena, (where.arena,) * len(agents), False)
    affinity = os.sched_getaffinity(0) if where.arena is not None else None
    if affinity is not None:
        os.sched_setaffinity(0, {where.arena})
    try:
        return _run(match, agents, seed, limits, isolation, record, hash_every, where)
    finally:
        if affinity is not None:
            os.sched_setaffinity(0, affinity)


def _run(match: Match, agents: list[Path], seed: int, limits: Limits, isolation: str, record: bool,
         hash_every: int, where: Placement) -> list[EpisodeResult]:
    ctls = [ControllerProcess(p, limits, isolation, cpu, where.spin) for p, cpu in zip(agents, where.controllers,
                                                                                       strict=True)]
    status = [OK] * len(ctls)
    reason = [""] * len(ctls)
    actions: list = []
    checkpoints: list = []
    h = hashlib.sha256()
    wall0 = time.perf_counter()
    obs = match.reset(np.random.SeedSequence(seed))
    alive = list(range(len(ctls)))

    def fail(i: int, exc: SandboxError) -> None:
        status[i], reason[i] = exc.status, exc.reason
        ctls[i].sandbox.close()
        alive.remove(i)

    for i, ctl in enumerate(ctls):
        robot = match.robots[i]
        try:
            ctl.start(match.world_spec.id, robot.ports)
            ctl.reset(seed, {"world": match.world_spec.id, "robot": robot.spec.name, "ports": robot.ports,
                             "player": i, "control_ms": round(match.sim.control_dt * 1000)},
                      [k.key for k in robot.obs_keys()])
        except SandboxError as exc:
            fail(i, exc)
    pool = ThreadPoolExecutor(len(ctls), thread_name_prefix="arena-recv") if len(ctls) > 1 else None

    def record_state() -> None:
        """The trajectory hash (and checkpoint) of the state the last step reached."""
        digest = match.state_digest()
        h.update(digest)
        if hash_every > 0 and match.steps % hash_every == 0:
            checkpoints.append([match.steps, digest.hex()[:16]])

    stepped = False
    while True:
        t_ms = int(round(match.time * 1000))
        cmds: list[dict] = [{} for _ in ctls]
        sent = []
        for i in list(alive):
            try:
                ctls[i].send_obs(t_ms, obs[i], match.robots[i])
                sent.append(i)
            except SandboxError as exc:
                fail(i, exc)
        if stepped:  # hashed while the controllers think: off the round trip's critical path
            record_state()
        # every controller's reply is awaited at the same time, each against its own clock: a
        # controller that stalls must not eat into its opponent's time
        replies = [pool.submit(_reply, ctls[i]) for i in sent] if pool else [_reply(ctls[i]) for i in sent]
        for i, fut in zip(sent, replies, strict=True):
            action, err = fut.result() if pool else fut
            if err is not None:
                fail(i, err)
                continue
            try:
                cmds[i] = validate_action(action, match.robots[i].ports)
            except InvalidAction as exc:
                fail(i, SandboxError(INVALID, str(exc)))
        for i in range(len(ctls)):
            if status[i] != OK:  # a failed controller's robot coasts
                cmds[i] = {p: {"stop": "coast"} for p in match.robots[i].ports}
        if len(ctls) == 1 and status[0] != OK:
            break  # a solo run ends when its controller fails
        if record:
            actions.append(cmds)
        obs = match.step(cmds + [{}] * (match.players - len(cmds)))  # seats without a controller coast
        stepped = True
        if match.terminated or match.truncated:
            record_state()
            break
    if pool is not None:
        pool.shutdown()
    outputs = [c.close() for c in ctls]
    wall = round(time.perf_counter() - wall0, 3)
    results = []
    for i, (ctl, path) in enumerate(zip(ctls, agents, strict=True)):
        results.append(EpisodeResult(
            world=match.world_spec.id, robot=match.robot_specs[i].name, agent=path.stem if path.is_file() else path.name,
            seed=seed, status=status[i], reason=reason[i], score=match.scorer.card(i).as_dict(), steps=match.steps,
            sim_time=round(match.time, 3), wall_time=wall, digest=h.hexdigest()[:32], isolation=ctl.isolation,
            output=outputs[i], agent_hash=agent_hash(path), robot_hash=file_hash(match.robot_specs[i].file),
            actions=[a[i] for a in actions], checkpoints=checkpoints))
    match.close()
    return results


def _reply(ctl: ControllerProcess) -> tuple[object, SandboxError | None]:
    try:
        return ctl.recv_action(), None
    except SandboxError as exc:
        return None, exc


def run_episode(world: str | Path, robot: str | Path | None, agent: str | Path, seed: int = 0,
                limits: Limits | None = None, isolation: str = "auto", record: bool = False,
                hash_every: int = 0) -> EpisodeResult:
    """Run one solo episode of one controller; never raises for anything the controller does."""
    return run_match(world, [(robot, agent)], seed, limits, isolation, record, hash_every)[0]


def load_agent_manifest(agent_dir: Path) -> dict:
    """agent.toml beside controller.py: name, robot, worlds (optional for a single .py agent)."""
    from arena.tomlio import Table, load_toml

    f = agent_dir / "agent.toml"
    if not f.is_file():
        return {"name": agent_dir.stem, "robot": None, "worlds": []}
    t = Table(load_toml(f), str(f))
    worlds = t.raw("worlds", [])
    if not isinstance(worlds, list) or not all(isinstance(w, str) for w in worlds):
        raise ArenaError(f"{f}: worlds: expected a list of world ids (fix: worlds = [\"LineFollow-v0\"])")
    return {"name": t.str("name", agent_dir.name), "robot": t.str("robot", None), "worlds": worlds,
            "description": t.str("description", ""), "author": t.str("author", "")}


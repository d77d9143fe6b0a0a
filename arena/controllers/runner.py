"""Episodes with controllers in their own processes.

The arena never imports a controller. It starts host.py (standard library only) in a sandbox
(arena.controllers.sandbox), talks JSON lines to it (arena.controllers.protocol), validates every
action, and turns every failure into a status (ERROR / TIMEOUT / INVALID) with a reason instead of
an exception.
"""

from __future__ import annotations

import base64
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from arena import __version__
from arena.content import agent_hash, file_hash, resolve
from arena.controllers.devices import port_reason
from arena.controllers.outputs import brick_outputs
from arena.controllers.placement import IdleProbe, Placement, placement
from arena.controllers.protocol import (
    ERROR,
    INVALID,
    OK,
    InvalidAction,
    ObsPacker,
    act_line,
    motor_states,
    plain_obs,
    validate_action,
)
from arena.controllers.radio import Radio
from arena.controllers.sandbox import Limits, Sandbox, SandboxError
from arena.match import Match, Trajectory, trajectory_header


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
    digest: str  # the run's digest (arena.match.Trajectory): configuration, every command, every state
    isolation: str
    output: str = ""
    engine: str = __version__
    agent_hash: str = ""
    robot_hash: str = ""  # content hash of the robot build file
    actions: list = field(default_factory=list, repr=False)
    checkpoints: list = field(default_factory=list, repr=False)  # [step, 16 hex of the chain] every hash_every steps
    tags: str = field(default="", repr=False)  # record=True: base64 of the chain's tag at the start and every step
    commands: bytes = field(default=b"", repr=False)  # record=True: every step's arena.match.command_bytes (the replay's)
    poses: list = field(default_factory=list)  # every robot's final ground-truth pose, in start order (final_poses)
    messages: list = field(default_factory=list)  # the match's Bluetooth traffic between bricks (radio.Radio.log)
    ended_s: float | None = None  # sim time at which a brick program's last statement ran (None: it never did)

    @property
    def brick(self) -> dict:
        """What the brick showed, played and logged (outputs.brick_outputs of the run's output)."""
        return brick_outputs(self.output)

    @property
    def total(self) -> float:
        return self.score["total"]

    def as_dict(self, with_actions: bool = False) -> dict:
        d = {k: getattr(self, k) for k in ("world", "robot", "robot_hash", "agent", "agent_hash", "seed", "status", "reason",
                                           "steps", "sim_time", "wall_time", "digest", "isolation", "engine", "output")}
        d["score"] = self.score
        d["poses"] = self.poses
        d["brick"] = self.brick
        d["messages"] = self.messages
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
                               limits=limits, isolation=isolation, cpu=cpu, spin=spin,
                               lane=spin)  # on one CPU the pipes wake a peer with fewer calls
        self.failed: SandboxError | None = None
        self.bt, self.done = None, False
        self.packer: ObsPacker | None = None  # set at reset when the steps go over the lane
        self.launched = False

    def _check(self, reply: dict) -> dict:
        if reply.get("type") == "error":
            if reply.get("where") == "port":  # a brick program asked for a device the robot lacks
                raise SandboxError(INVALID, port_reason(reply)[:500])
            where = {"import": "while loading", "reset": "in reset()", "act": "in act()"}.get(reply.get("where"), "")
            raise SandboxError(ERROR, f"controller raised {where}: {reply.get('message', '?')}"[:500])
        return reply

    def launch(self) -> None:
        """Start the sandboxed process; start() then waits for it (its interpreter starts meanwhile)."""
        if not self.launched:
            self.launched = True
            self.sandbox.start()

    def start(self, world_id: str, ports: list[str]) -> None:
        self.launch()
        ready = self._check(self.sandbox.request({"type": "init", "agent": self.agent_arg, "world": world_id,
                                                  "ports": ports, "spin": self.sandbox.spin,
                                                  "lane": self.sandbox.lane_fd}, first=True))
        # a brick program blocks on motor states and reads observations by name; a controller
        # class gets the values only, in the key order sent once at reset (half the JSON per step),
        # over the lane when the child could map it
        self.brick = ready.get("brick") is True
        self.lane = ready.get("lane") is True and self.sandbox.lane is not None and not self.brick

    def reset(self, seed: int, info: dict, keys: list[str], first: dict | None = None) -> None:
        """first: the observation the first step will send; with it, the steps go over the lane."""
        self.keys = keys
        msg = {"type": "reset", "seed": seed, "info": info, "keys": keys}
        if self.lane and first is not None:
            self.packer = ObsPacker(keys, first)
            msg["shape"] = self.packer.shape
        self._check(self.sandbox.request(msg))

    def send_obs(self, t_ms: int, raw: dict, robot, bt: list | None = None) -> None:
        if self.packer is not None:  # the hot path: a frame on the lane
            values = self.packer.pack(raw)
            if values is not None:
                self.sandbox.send_floats(self.packer.fmt, values)
            else:
                self.sandbox.send_text(act_line(t_ms, [raw[k] for k in self.keys]))
        elif self.brick:
            msg = {"type": "act", "t": t_ms, "obs": plain_obs(raw), "motors": motor_states(robot)}
            if bt:
                msg["bt"] = bt  # messaging events due now (arena.controllers.radio)
            self.sandbox.send(msg)
        else:  # the values in the order of the keys sent at reset
            self.sandbox.send_line(act_line(t_ms, [raw[k] for k in self.keys]))

    def recv_action(self):
        if self.packer is not None:
            framed, reply = self.sandbox.recv_frame()
            if framed:
                return reply  # the action itself
            reply = self._check(reply)
        else:
            reply = self._check(self.sandbox.recv())
        if reply.get("type") != "action" or "action" not in reply:
            raise SandboxError(INVALID, "controller sent a message that is not an action")
        # a brick program's messaging requests, and whether its program has ended
        self.bt, self.done = (reply.get("bt"), reply.get("done") is True) if self.brick else (None, False)
        return reply["action"]

    def close(self) -> str:
        self.sandbox.close()
        return self.sandbox.output()

    @property
    def isolation(self) -> str:
        return self.sandbox.isolation


def run_match(world: str | Path, entrants: list[tuple[str | Path | None, str | Path]], seed: int = 0,
              limits: Limits | None = None, isolation: str = "auto", record: bool = False,
              hash_every: int = 0, cpus: str = "auto", presses: list | None = None,
              until_done: bool = False) -> list[EpisodeResult]:
    """Run one match: entrants[i] = (robot or None for the world's default, agent) drives player i.

    Never raises for anything a controller does: a controller that fails gets its status and
    reason, its robot's motors coast, and the match goes on for the others. record=True keeps the
    applied commands (EpisodeResult.actions) and the digest chain's per-step tags
    (EpisodeResult.tags); hash_every=N > 0 keeps the chain after every N-th step
    (EpisodeResult.checkpoints), so a replay can be verified step by step.
    cpus: "auto" gives each controller a spare CPU when there is one (see placement); "shared"
    keeps the match on one CPU, for callers that run several matches at once (tournaments).
    presses: scripted brick button presses [[button, start s, end s], ...] (devices.parse_press)
    for every player's brick; None: the world's own ([brick] presses), a list replaces them.
    until_done: end the match as soon as every running controller is a brick program that has
    ended (its last statement ran), instead of at the world's time limit.
    """
    if cpus not in ("auto", "shared"):
        raise ValueError(f"cpus must be 'auto' or 'shared', not {cpus!r}")
    agents = [resolve("agents", a) for _, a in entrants]
    with IdleProbe(enabled=cpus == "auto") as probe:  # how idle the other CPUs are while the world builds
        match = Match(world, [r for r, _ in entrants])
    limits = limits or Limits()
    where = placement(len(agents), current=probe.cpu, idle=probe.idle)
    if cpus == "shared":
        where = Placement(where.arena, (where.arena,) * len(agents), False)
    affinity = os.sched_getaffinity(0) if where.arena is not None else None
    if affinity is not None:
        os.sched_setaffinity(0, {where.arena})
    try:
        presses = [list(p) for p in (match.world_spec.presses if presses is None else presses)]  # None: the world's
        return _run(match, agents, seed, limits, isolation, record, hash_every, where, presses,
                    until_done)
    finally:
        if affinity is not None:
            os.sched_setaffinity(0, affinity)


def _run(match: Match, agents: list[Path], seed: int, limits: Limits, isolation: str, record: bool,
         hash_every: int, where: Placement, presses: list, until_done: bool = False) -> list[EpisodeResult]:
    ctls: list[ControllerProcess] = []
    # every controller's reply is awaited at the same time, each against its own clock (threads
    # start at the first submit)
    pool = ThreadPoolExecutor(len(agents), thread_name_prefix="arena-recv") if len(agents) > 1 else None
    try:
        for p, cpu in zip(agents, where.controllers, strict=True):
            ctls.append(ControllerProcess(p, limits, isolation, cpu, where.spin))
        return _play(match, ctls, pool, agents, seed, record, hash_every, presses, until_done)
    finally:  # a run that ended closed them already (close is idempotent); an error must not leave them running
        for c in ctls:
            c.close()
        if pool is not None:
            pool.shutdown()


def _play(match: Match, ctls: list[ControllerProcess], pool: ThreadPoolExecutor | None, agents: list[Path],
          seed: int, record: bool, hash_every: int, presses: list, until_done: bool) -> list[EpisodeResult]:
    status = [OK] * len(ctls)
    reason = [""] * len(ctls)
    actions: list = []
    checkpoints: list = []
    alive = list(range(len(ctls)))
    control_ms = round(match.sim.control_dt * 1000)
    radio = Radio(match.players, control_ms)
    ended_s: list = [None] * len(ctls)

    def fail(i: int, exc: SandboxError) -> None:
        status[i], reason[i] = exc.status, exc.reason
        ctls[i].sandbox.close()
        alive.remove(i)
        radio.switch_off(match.steps, i)

    wall0 = time.perf_counter()
    for i, ctl in enumerate(ctls):  # each controller's interpreter starts while the world resets
        try:
            ctl.launch()
        except SandboxError as exc:
            fail(i, exc)
    robot_hashes = [file_hash(match.robot_specs[i].file) for i in range(len(ctls))]
    agent_hashes = [agent_hash(p) for p in agents]
    obs = match.reset(np.random.SeedSequence(seed))
    traj = Trajectory(match, trajectory_header(match.world_spec.id, list(zip(robot_hashes, agent_hashes, strict=True)),
                                               seed, __version__, presses), keep_tags=record)
    applied: list = []  # the commands of the last step, for the digest

    for i, ctl in enumerate(ctls):
        if i not in alive:  # it failed to start
            continue
        robot = match.robots[i]
        try:
            ctl.start(match.world_spec.id, robot.ports)
            ctl.reset(seed, {"world": match.world_spec.id, "robot": robot.spec.name, "ports": robot.ports,
                             "player": i, "control_ms": control_ms, "presses": presses,
                             "brick": radio.names[i], "bricks": radio.names},
                      [k.key for k in robot.obs_keys()], obs[i])
        except SandboxError as exc:
            fail(i, exc)

    def record_state() -> None:
        """The digest chain (and checkpoint) over the last step's commands and the state they reached."""
        chain = traj.step(applied)
        if hash_every > 0 and match.steps % hash_every == 0:
            checkpoints.append([match.steps, chain.hex()[:16]])

    stepped = False
    while True:
        t_ms = int(round(match.time * 1000))
        step = match.steps
        cmds: list[dict] = [{} for _ in ctls]
        sent = []
        due = radio.due(step)
        for i in list(alive):
            try:
                ctls[i].send_obs(t_ms, obs[i], match.robots[i], due.get(i))
                sent.append(i)
            except SandboxError as exc:
                fail(i, exc)
        if stepped:  # hashed while the controllers think: off the round trip's critical path
            record_state()
        # every controller's reply is awaited at the same time, each against its own clock: a
        # controller that stalls must not eat into its opponent's time
        replies = [pool.submit(_reply, ctls[i]) for i in sent] if pool else [_reply(ctls[i]) for i in sent]
        requests: dict = {}
        for i, fut in zip(sent, replies, strict=True):
            action, err = fut.result() if pool else fut
            if err is not None:
                fail(i, err)
                continue
            try:
                cmds[i] = validate_action(action, match.robots[i].ports, match.sonars[i])
            except InvalidAction as exc:
                fail(i, SandboxError(INVALID, str(exc)))
                continue
            if ctls[i].bt:
                requests[i] = ctls[i].bt
        for i, exc in (radio.submit(step, requests) if requests else {}).items():  # nothing to submit: no-op
            fail(i, SandboxError(INVALID, f"messaging: {exc}"))
        for i in alive:
            if ctls[i].done:  # sent with its requests: the frames of its last statements still go out
                radio.switch_off(step, i)
                ended_s[i] = round(match.time, 3) if ended_s[i] is None else ended_s[i]
        ended = until_done and all(ctls[i].done for i in alive)
        for i in range(len(ctls)):
            if status[i] != OK:  # a failed controller's robot coasts
                cmds[i] = {p: {"stop": "coast"} for p in match.robots[i].ports}
        if len(ctls) == 1 and status[0] != OK:
            break  # a solo run ends when its controller fails
        if record:
            actions.append(cmds)
        applied = cmds + [{}] * (match.players - len(cmds))  # seats without a controller coast
        obs = match.step(applied)
        stepped = True
        if match.terminated or match.truncated or ended:
            record_state()
            break
    outputs = [c.close() for c in ctls]
    wall = round(time.perf_counter() - wall0, 3)
    poses = final_poses(match)
    results = []
    for i, (ctl, path) in enumerate(zip(ctls, agents, strict=True)):
        results.append(EpisodeResult(
            world=match.world_spec.id, robot=match.robot_specs[i].name, agent=path.stem if path.is_file() else path.name,
            seed=seed, status=status[i], reason=reason[i], score=match.scorer.card(i).as_dict(), steps=match.steps,
            sim_time=round(match.time, 3), wall_time=wall, digest=traj.digest, isolation=ctl.isolation,
            output=outputs[i], agent_hash=agent_hashes[i], robot_hash=robot_hashes[i],
            actions=[a[i] for a in actions], checkpoints=checkpoints,
            tags=base64.b64encode(traj.tags).decode() if traj.tags is not None else "", poses=poses,
            commands=bytes(traj.commands) if traj.commands is not None and len(ctls) == match.players else b"",
            messages=radio.log, ended_s=ended_s[i]))
    match.close()
    return results


def final_poses(match: Match) -> list[dict]:
    """Each robot's ground-truth pose: x, y in mm on the mat, heading in deg (0 = +x, counter-clockwise)."""
    return [{"x_mm": round(r.x * 1000.0, 1), "y_mm": round(r.y * 1000.0, 1),
             "heading_deg": round(math.degrees(r.yaw), 2)} for r in match.snapshot().robots]


def _reply(ctl: ControllerProcess) -> tuple[object, SandboxError | None]:
    try:
        return ctl.recv_action(), None
    except SandboxError as exc:
        return None, exc


def run_episode(world: str | Path, robot: str | Path | None, agent: str | Path, seed: int = 0,
                limits: Limits | None = None, isolation: str = "auto", record: bool = False,
                hash_every: int = 0, presses: list | None = None, until_done: bool = False) -> EpisodeResult:
    """Run one solo episode of one controller; never raises for anything the controller does."""
    return run_match(world, [(robot, agent)], seed, limits, isolation, record, hash_every, presses=presses,
                     until_done=until_done)[0]

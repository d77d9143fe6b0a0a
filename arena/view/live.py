"""Runs stepped by a window: a match with sandboxed controllers (`arena view --world --agent`) or
with keyboard commands (`arena drive`), recorded step by step into a Trace and a replay."""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from arena import __version__
from arena.content import agent_hash, file_hash, resolve
from arena.controllers.protocol import InvalidAction, validate_action
from arena.controllers.runner import ControllerProcess, _reply
from arena.controllers.sandbox import Limits, SandboxError
from arena.errors import ArenaError
from arena.match import Match, Trajectory, load_world_spec, trajectory_header
from arena.view.trace import Trace


@dataclass
class _Result:
    """What arena.compete.replay.build reads of a player's run."""

    agent: str
    actions: list
    checkpoints: list
    tags: str
    digest: str
    status: str = "OK"
    reason: str = ""
    score: dict = field(default_factory=dict)


class Session:
    """A match that the caller steps, recorded into a Trace, its commands and its digest chain."""

    def __init__(self, world, robots: list, seed: int, agents: list[str], agent_hashes: list[str]):
        spec = load_world_spec(world)
        if len(agents) != spec.players:
            fix = ("pick a solo world, or watch a match: arena view --world W --agent A --agent B"
                   if agents == ["keyboard"] else f"give --agent {spec.players} time(s)")
            raise ArenaError(f"{spec.id} takes {spec.players} player(s), {len(agents)} given (fix: {fix})")
        self.match = Match(spec, robots)
        self.seed, self.agents, self.agent_hashes = int(seed), agents, agent_hashes
        m = self.match
        m.reset(np.random.SeedSequence(self.seed))
        self.robot_hashes = [file_hash(s.file) for s in m.robot_specs]
        header = trajectory_header(m.world_spec.id, list(zip(self.robot_hashes, agent_hashes, strict=True)),
                                   self.seed, __version__)
        self.traj = Trajectory(m, header, keep_tags=True)
        self.trace = Trace(m, m.world_spec.id, self.seed, agents, keep_3d=True)
        self.trace.record(m)
        self.actions: list[list[dict]] = []
        self.status = ["OK"] * m.players
        self.reason = [""] * m.players

    @property
    def done(self) -> bool:
        return self.match.terminated or self.match.truncated

    def step(self, commands: list[dict]) -> None:
        self.match.step(commands)
        self.traj.step(commands)
        self.actions.append(commands)
        self.trace.record(self.match)

    def replay(self) -> dict:
        """The run so far as a replay (arena.compete.replay format), verifiable like any other."""
        from arena.compete import replay

        m = self.match
        players = [{"robot": s.name, "robot_file": str(s.file), "robot_hash": h, "agent": a, "agent_hash": ah}
                   for s, h, a, ah in zip(m.robot_specs, self.robot_hashes, self.agents, self.agent_hashes,
                                          strict=True)]
        tags = base64.b64encode(bytes(self.traj.tags)).decode()
        results = [_Result(a, [step[i] for step in self.actions], [], tags, self.traj.digest, self.status[i],
                           self.reason[i], m.scorer.card(i).as_dict()) for i, a in enumerate(self.agents)]
        return replay.build(str(m.world_spec.file), m.world_spec.id, self.seed, players, results, 0)

    def close(self) -> None:
        self.match.close()


class LiveRun(Session):
    """Sandboxed controllers drive; each advance() is one control step."""

    def __init__(self, world, robot, agents: list[str], seed: int = 0, isolation: str = "auto"):
        paths = [resolve("agents", a) for a in agents]
        super().__init__(world, [robot] * len(paths), seed, [p.stem if p.suffix else p.name for p in paths],
                         [agent_hash(p) for p in paths])
        m = self.match
        self.ctls = [ControllerProcess(p, Limits(), isolation) for p in paths]
        for i, ctl in enumerate(self.ctls):
            r = m.robots[i]
            try:
                ctl.start(m.world_spec.id, r.ports)
                ctl.reset(self.seed, {"world": m.world_spec.id, "robot": r.spec.name, "ports": r.ports, "player": i,
                                      "control_ms": round(m.sim.control_dt * 1000)}, [k.key for k in r.obs_keys()])
            except SandboxError as exc:
                self._fail(i, exc.status, exc.reason)

    def _fail(self, i: int, status: str, reason: str) -> None:
        self.status[i], self.reason[i] = status, reason
        self.ctls[i].sandbox.close()

    def advance(self) -> None:
        m = self.match
        cmds: list[dict] = []
        for i, ctl in enumerate(self.ctls):
            cmd: dict = {}
            if self.status[i] == "OK":
                try:
                    ctl.send_obs(int(round(m.time * 1000)), m.obs[i], m.robots[i])
                    action, err = _reply(ctl)
                    if err is not None:
                        raise err
                    cmd = validate_action(action, m.robots[i].ports, m.sonars[i])
                except SandboxError as exc:
                    self._fail(i, exc.status, exc.reason)
                except InvalidAction as exc:
                    self._fail(i, "INVALID", str(exc))
            if self.status[i] != "OK":  # a failed controller's robot coasts
                cmd = {p: {"stop": "coast"} for p in m.robots[i].ports}
            cmds.append(cmd)
        self.step(cmds)

    def close(self) -> None:
        for ctl in self.ctls:
            ctl.close()
        super().close()


# -- the keyboard ---------------------------------------------------------------------------------
DRIVE_KEYS = ("up", "down", "left", "right")
MOTOR_KEYS = (("q", "a"), ("w", "s"), ("e", "d"), ("r", "f"))  # other motors: forward, back


class Teleop(Session):
    """Keys drive the robot: arrows for the drive base (the wheel motors on either side), and
    q/a, w/s, e/d, r/f turn each other motor forward/back. Every step's keys become duties."""

    POWER = 0.8
    TURN = 0.5

    def __init__(self, world, robot, seed: int = 0):
        super().__init__(world, [robot], seed, ["keyboard"], [hashlib.sha256(b"arena drive: keyboard").hexdigest()[:16]])
        r = self.match.robots[0]
        asm = r.asm
        self.left: list[tuple[str, float]] = []
        self.right: list[tuple[str, float]] = []
        for m in r.spec.motors:
            if m.id not in asm.wheel_link:
                continue
            wheel = asm.link_parts[asm.wheel_link[m.id]]
            mot = r.motors[m.port]
            # a positive wheel joint rolls the robot forward; the motor's direction and gear map duty onto it
            fwd = math.copysign(1.0, mot.gear * mot.sign)
            (self.left if asm.poses[wheel].pos[1] > 0 else self.right).append((m.port, fwd))
        self.others = [p for p in r.ports if p not in {q for q, _ in self.left + self.right}]
        self.keys_help = ["arrows: drive", "esc: end and save"] + [f"{f}/{b}: motor {p}" for p, (f, b) in zip(self.others, MOTOR_KEYS,
                                                                                             strict=False)]

    def command(self, held: set[str]) -> dict:
        """Motor duties for the keys held this step."""
        fwd = ("up" in held) - ("down" in held)
        turn = ("left" in held) - ("right" in held)
        left = self.POWER * fwd - self.TURN * turn
        right = self.POWER * fwd + self.TURN * turn
        cmd = {}
        for (port, sign), v in [(pm, left) for pm in self.left] + [(pm, right) for pm in self.right]:
            cmd[port] = float(np.clip(v * sign, -1.0, 1.0))
        for port, (f, b) in zip(self.others, MOTOR_KEYS, strict=False):
            cmd[port] = self.POWER * ((f in held) - (b in held))
        return cmd

    def advance(self, held: set[str]) -> None:
        self.step([validate_action(self.command(held), self.match.robots[0].ports)])


def parse_keys(script: str) -> list[set[str]]:
    """"up*50,left*10,up+left*5,none*20" -> the keys held at each control step."""
    steps: list[set[str]] = []
    known = set(DRIVE_KEYS) | {k for pair in MOTOR_KEYS for k in pair} | {"none"}
    for item in (s.strip() for s in script.split(",")):
        if not item:
            continue
        keys, _, count = item.partition("*")
        try:
            n = int(count) if count else 1
        except ValueError:
            n = -1
        if n < 1:
            raise ArenaError(f"--keys {item!r}: the count after * must be a whole number >= 1 (e.g. up*50)")
        held = {k.strip().lower() for k in keys.split("+")}
        bad = held - known
        if bad:
            raise ArenaError(f"--keys {item!r}: unknown key {sorted(bad)[0]!r} (fix: use {', '.join(sorted(known))})")
        steps.extend([held - {"none"}] * n)
    return steps

"""A match: one world, one or more robots, their scores. No Gymnasium here.

The Gymnasium env, the PettingZoo env and the controller runner all step a Match, so the physics,
the seeding and the scoring are written once.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from pathlib import Path

import numpy as np

from arena.content import resolve
from arena.robot.body import Robot
from arena.robot.spec import RobotSpec, load_robot
from arena.sim import CONTROL_DT, PHYSICS_DT, Sim, yaw_of
from arena.world.scene import World, hear, seed_streams, set_emitters, sonars_of
from arena.world.scoring import TOPPLED_UP, ObjectState, RobotState, Scorer, Snapshot
from arena.world.spec import WorldSpec, check_robot_fits, load_world

__all__ = ["Match", "TOPPLED_UP", "Trajectory", "command_bytes", "load_robot_spec", "load_world_spec",
           "trajectory_header"]


def load_world_spec(world: str | Path | WorldSpec) -> WorldSpec:
    return world if isinstance(world, WorldSpec) else load_world(resolve("worlds", world))


def load_robot_spec(robot: str | Path | RobotSpec) -> RobotSpec:
    return robot if isinstance(robot, RobotSpec) else load_robot(resolve("robots", robot))


class Match:
    def __init__(self, world: str | Path | WorldSpec, robots: list[str | Path | RobotSpec | None] | None = None,
                 control_dt: float = CONTROL_DT, physics_dt: float = PHYSICS_DT, randomize: bool = False):
        """randomize: draw battery voltage and sensor tolerances from the wide domain-randomisation
        ranges of docs/parts.md (for training), instead of fresh batteries and part tolerances."""
        self.randomize = randomize
        self.world_spec = load_world_spec(world)
        n = self.world_spec.players
        robots = list(robots or [])
        if len(robots) > n:
            raise ValueError(f"{self.world_spec.id} takes {n} robot(s), got {len(robots)}")
        robots += [None] * (n - len(robots))
        self.robot_specs = [load_robot_spec(r if r is not None else self.world_spec.robot) for r in robots]
        self.world = World(self.world_spec)
        self.sim = Sim(physics_dt, control_dt)
        self.robots = [Robot(s, control_dt, name=f"p{i}") for i, s in enumerate(self.robot_specs)]
        for r in self.robots:
            check_robot_fits(self.world_spec, r.spec.name, r.size_mm, r.mass)
        self.scorer = Scorer(self.world, n)
        self.sonars = [sonars_of(r) for r in self.robots]  # ultrasonic sensors hear each other (presence)
        self.max_steps = int(round(self.world_spec.time_limit / control_dt))
        self.steps = 0

    @property
    def players(self) -> int:
        return len(self.robots)

    @property
    def time(self) -> float:
        return self.steps * self.sim.control_dt

    def reset(self, seed_seq: np.random.SeedSequence) -> list[dict]:
        """Rebuild the world. The layout stream is shared by all players (the same seed gives every
        entrant the same layout); each device gets its own noise stream."""
        self.layout_rng, device_ss = seed_streams(seed_seq)
        self.layout = self.world.layout(self.layout_rng)
        self.mat = self.world.mat_for(self.layout)
        self.sim.reset()
        self.static_bodies = self.world.build(self.sim, self.layout)
        self.object_bodies = self.world.add_objects(self.sim, self.layout)
        per_robot = device_ss.spawn(self.players)
        for i, r in enumerate(self.robots):
            start = self.layout.starts[i]
            # one stream per device, and one more for the robot's own draws (its battery)
            rngs = [np.random.default_rng(s) for s in per_robot[i].spawn(r.n_devices() + 1)]
            volts = float(rngs[-1].uniform(7.2, 9.0)) if self.randomize else None
            r.spawn(self.sim, start.x, start.y, start.heading, rngs[:-1], volts=volts, wide=self.randomize,
                    battery_rng=rngs[-1])
        # what a contact with each body is called in Snapshot.touching
        self.body_names = {b: "wall" for b in self.static_bodies[1:]}
        self.body_names.update(zip(self.object_bodies, self.layout.object_ids, strict=True))
        self.body_names.update((r.body, "robot") for r in self.robots)
        self.bodies = [r.body for r in self.robots]
        self.steps = 0
        self.scorer.reset(self.layout)
        self.obs = [r.sense(0.0, self.mat, self.world.ambient) for r in self.robots]
        hear(self.bodies, self.sonars, self.sim, self.obs)
        self.scorer.update(self.snapshot())
        return self.obs

    def step(self, commands: list[dict]) -> list[dict]:
        """One control period. commands[i] are brick-level motor commands for robot i."""
        robots, sim = self.robots, self.sim
        for r, c, sonars in zip(robots, commands, self.sonars, strict=True):
            r.command(set_emitters(sonars, c) if sonars else c)
            r.control()
        for _k in range(sim.substeps):
            for r in robots:
                r.physics()
            sim.step()
        self.steps += 1
        t = self.steps * sim.control_dt  # self.time
        mat, ambient = self.mat, self.world.ambient
        obs = []
        for r in robots:
            obs.append(r.sense(t, mat, ambient))
        hear(self.bodies, self.sonars, sim, obs)
        self.obs = obs
        self.scorer.update(self.snapshot())
        return obs

    def snapshot(self) -> Snapshot:
        """The state scoring sees: robots (from their per-step cached pose), objects, contacts."""
        objects = []
        for b in self.object_bodies:
            pos, quat = self.sim.pose(b)
            x, y, z, w = quat
            objects.append(ObjectState(pos[0], pos[1], pos[2], yaw_of(quat), 1.0 - 2.0 * (x * x + y * y)))
        touching: tuple = ()
        if self.scorer.needs_contacts:
            names, sets = self.body_names, []
            for r in self.robots:
                me = r.body
                sets.append(frozenset([names[b] for b in self.sim.touching(me) if b in names and b != me]))
            touching = tuple(sets)
        robots = []
        for r in self.robots:
            pose = r.pose
            robots.append(RobotState(pose.x, pose.y, pose.yaw, pose.up))
        return Snapshot(self.time, tuple(robots), tuple(objects), touching)

    def place_robot(self, player: int, x: float, y: float, heading: float) -> None:
        """Teleport a robot (m, rad; upright, at rest) and refresh its cached pose. For tests and
        tools that set up a situation; a run never calls it."""
        from arena.sim import matrix, quat_from_rpy

        r = self.robots[player]
        quat = quat_from_rpy((0.0, 0.0, heading))
        com = matrix(quat) @ r.asm.com
        self.sim.set_pose(r.body, (x + com[0], y + com[1], com[2] + 0.0005), quat)
        self.sim.set_velocity(r.body, (0, 0, 0), (0, 0, 0))
        r._fetch_state()
        r.prev_yaw = r.pose.yaw

    def place_object(self, object_id: str, x: float, y: float, yaw: float = 0.0) -> None:
        """Teleport an object (m, rad) keeping its height and tilt; at rest."""
        from arena.sim import quat_from_rpy

        k = self.layout.object_ids.index(object_id)
        b = self.object_bodies[k]
        pos, quat = self.sim.pose(b)
        pl = self.layout.objects[k]
        tilt = (0.0, math.pi / 2, 0.0) if pl.spec.shape == "cylinder" and pl.spec.axis == "x" else (0.0, 0.0, 0.0)
        self.sim.set_pose(b, (x, y, pos[2]), quat_from_rpy((tilt[0], tilt[1], yaw)))
        self.sim.set_velocity(b, (0, 0, 0), (0, 0, 0))

    def toppled(self, player: int) -> bool:
        return self.robots[player].pose.up < TOPPLED_UP

    @property
    def terminated(self) -> bool:
        if self.scorer._finished:
            return True
        for i in range(len(self.robots)):  # a loop, not any(): this is read every step
            if self.toppled(i):
                return True
        return False

    @property
    def truncated(self) -> bool:
        return self.steps >= self.max_steps and not self.terminated

    def state_bytes(self) -> bytes:
        """Everything that evolves during a run: the full physics state of every robot and object
        (Sim.state_bytes) and what each robot's controller is shown (every observation value and
        each motor's done / stalled flag, in a fixed order)."""
        sim = self.sim
        flat: list = []  # Sim.state_bytes of the robots, then the objects
        for r in self.robots:
            if r.state_generation == sim.generation:  # its base as sense() just read it
                flat += r.base_pos
                flat += r.base_quat
                flat += r.lin_vel
                flat += r.ang_vel
                sim.add_joint_states(flat, r.body)
            else:
                sim.add_state(flat, r.body)
        for b in self.object_bodies:
            sim.add_state(flat, b)
        out = [struct.pack(f"<{len(flat)}d", *flat)]
        for r, obs in zip(self.robots, self.obs, strict=True):
            flat = []
            for v in obs.values():
                if type(v) is list or type(v) is tuple:
                    flat.extend(v)
                else:
                    flat.append(v)
            out.append(struct.pack(f"<{len(flat)}d", *flat))
            flags = []
            for m in r.motors.values():
                flags.append(2 * bool(m.done) + bool(m.stalled))
            out.append(bytes(flags))
        return b"".join(out)

    def start_bytes(self) -> bytes:
        """The state after reset, with what never moves: the static bodies' poses and the names of
        the observation values (state_bytes holds the values only)."""
        keys = json.dumps([list(obs) for obs in self.obs]).encode()
        return self.sim.state_bytes(list(self.static_bodies)) + keys + self.state_bytes()

    def state_digest(self) -> bytes:
        """sha256 of state_bytes(): equal digests mean equal states."""
        return hashlib.sha256(self.state_bytes()).digest()

    def close(self) -> None:
        self.sim.close()


TRAJECTORY = b"kit-arena-trajectory/3"
TRAJECTORY_V2 = b"kit-arena-trajectory/2"  # commands as JSON: kit-arena-replay/2 replays are checked by this rule
TAG_BYTES = 4  # per-step tag: enough to find the first differing step; the digest is the strong check
END, NUMBER, TEXT, TABLE = 0, ord("f"), ord("s"), ord("{")  # the command encoding's tags (see command_bytes)
_NAMES: dict = {}  # name -> its encoding (length + 1, then UTF-8): ports, keys and stop modes repeat every step


def _name(s: str) -> bytes:
    b = _NAMES.get(s)
    if b is None:
        raw = s.encode()
        if len(raw) > 254:
            raise ValueError(f"command name longer than 254 bytes: {s[:20]!r}...")
        b = bytes([len(raw) + 1]) + raw
        if len(_NAMES) < 4096:  # validated commands use a few dozen names; never grow without bound
            _NAMES[s] = b
    return b


def command_bytes(commands: list[dict]) -> bytes:
    """One control step's commands (validated: port -> number | stop mode | {key: number | mode}),
    one dict per player, in a canonical, decodable binary form: per player, for each port in sorted
    order, its name then NUMBER, or TEXT and the text, or TABLE and its keys sorted the same way
    closed by END; END closes the player. Names are one byte (length + 1) then UTF-8. Every number
    follows, after the last player, as float64 little-endian in the order met. A different
    command, port, key or value of any size gives different bytes."""
    tags = bytearray()
    nums = []
    for cmd in commands:
        for port in sorted(cmd):
            tags += _name(port)
            v = cmd[port]
            if type(v) is dict:
                tags.append(TABLE)
                for k in sorted(v):
                    tags += _name(k)
                    x = v[k]
                    if type(x) is str:
                        tags.append(TEXT)
                        tags += _name(x)
                    else:
                        tags.append(NUMBER)
                        nums.append(float(x))
                tags.append(END)
            elif type(v) is str:
                tags.append(TEXT)
                tags += _name(v)
            else:
                tags.append(NUMBER)
                nums.append(float(v))
        tags.append(END)
    return bytes(tags) + struct.pack(f"<{len(nums)}d", *nums)


def trajectory_header(world_id: str, players: list[tuple[str, str]], seed: int, engine: str,
                      presses: list | None = None) -> bytes:
    """What a run was: world id (with version), (robot hash, agent hash) per start position, seed
    and engine version (the items of the store's match id), and the scripted button presses
    [[button, start s, end s], ...] when there are any (a run without presses keeps its digest)."""
    items = [world_id, [list(p) for p in players], int(seed), engine]
    if presses:
        items.append([[str(b), float(t0), float(t1)] for b, t0, t1 in presses])
    return json.dumps(items).encode()


class Trajectory:
    """A run's digest: a sha256 chain that starts from the header and the start state
    (Match.start_bytes) and takes in, for every control step, the commands applied
    (command_bytes) and the state they led to (Match.state_bytes). A changed command, seed, robot,
    agent hash or any physics difference changes every link from that step on. With keep_tags,
    `tags` holds the first TAG_BYTES of the chain after the start and after every step, so a replay
    can name the first step at which a re-simulation differs, and `commands` every step's
    command_bytes one after the other (what a replay stores). rule=2 computes the chain of
    kit-arena-trajectory/2 (commands as canonical JSON), to check replays recorded with it."""

    def __init__(self, match: Match, header: bytes, keep_tags: bool = False, rule: int = 3):
        if rule not in (2, 3):
            raise ValueError(f"trajectory rule must be 2 or 3, not {rule!r}")
        self.match = match
        self.encode = command_bytes if rule == 3 else _json_commands
        self.chain = hashlib.sha256((TRAJECTORY if rule == 3 else TRAJECTORY_V2) + header
                                    + match.start_bytes()).digest()
        self.tags = bytearray(self.chain[:TAG_BYTES]) if keep_tags else None
        self.commands = bytearray() if keep_tags else None

    def step(self, commands: list[dict]) -> bytes:
        """Call after match.step(commands); returns the new link of the chain."""
        cmd = self.encode(commands)
        self.chain = hashlib.sha256(self.chain + cmd + self.match.state_bytes()).digest()
        if self.tags is not None:
            self.tags += self.chain[:TAG_BYTES]
            self.commands += cmd
        return self.chain

    @property
    def digest(self) -> str:
        return self.chain.hex()[:32]


def _json_commands(commands: list[dict]) -> bytes:
    return json.dumps(commands, sort_keys=True, separators=(",", ":")).encode()

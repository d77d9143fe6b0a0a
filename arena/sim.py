"""The physics layer: the only module that imports pybullet.

One Sim owns one pybullet client in DIRECT mode (a GUI or shared-memory server would let other
processes on the machine move bodies). Every call passes the client id. The physics period
divides the control period exactly; both are fixed per Sim so a run is reproducible bit for bit.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import sys
from dataclasses import dataclass

import numpy as np


def _import_pybullet_quietly():
    """pybullet prints its build time on stdout from C at import; that would corrupt
    `arena run --json` and the controller protocol, so it goes to /dev/null."""
    import ctypes

    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
        import pybullet
        try:  # flush C stdio while it still points at /dev/null
            ctypes.CDLL(None).fflush(None)
        except (OSError, AttributeError):
            pass
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    return pybullet


pb = _import_pybullet_quietly()

# 5 ms physics, 10 ms control: the control period is pybricks' 10 ms loop on ev3dev; the physics
# period is the largest that keeps 56 mm wheels on a mat stable with the implicit motor model
# (see docs/physics.md). 20 solver iterations: converged for these small contact sets, 2x faster
# than the default 50.
PHYSICS_DT = 0.005
CONTROL_DT = 0.010
SOLVER_ITERATIONS = 20
GRAVITY = 9.81

GEOM_BOX, GEOM_SPHERE, GEOM_CYLINDER, GEOM_MESH = pb.GEOM_BOX, pb.GEOM_SPHERE, pb.GEOM_CYLINDER, pb.GEOM_MESH


@dataclass(frozen=True)
class Shape:
    """One collision primitive in a link frame (SI units)."""

    kind: int  # GEOM_BOX / GEOM_SPHERE / GEOM_CYLINDER
    pos: tuple[float, float, float]
    quat: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    half_extents: tuple[float, float, float] = (0.0, 0.0, 0.0)
    radius: float = 0.0
    length: float = 0.0
    vertices: tuple[tuple[float, float, float], ...] = ()  # GEOM_MESH: a convex hull


@dataclass(frozen=True)
class Link:
    """A rigid link. Its frame is at its joint; the base's and wheels' frames are at their centre
    of mass (com = 0), an arm's frame is at its hinge with its centre of mass at `com`."""

    name: str
    mass: float
    inertia: tuple[float, float, float]  # principal moments about the centre of mass, link axes
    shapes: tuple[Shape, ...]  # in the link frame
    pos: tuple[float, float, float] = (0.0, 0.0, 0.0)  # link frame, relative to the base frame
    joint: str = "fixed"  # "fixed" | "revolute"
    axis: tuple[float, float, float] = (0.0, 1.0, 0.0)
    friction: float = 0.8
    rolling_friction: float = 0.0
    spinning_friction: float = 0.0
    com: tuple[float, float, float] = (0.0, 0.0, 0.0)  # centre of mass in the link frame
    limits: tuple[float, float] | None = None  # revolute joints: (lower, upper) rad; None = free


def quat_from_rpy(rpy: tuple[float, float, float]) -> tuple[float, float, float, float]:
    return tuple(pb.getQuaternionFromEuler(rpy))


def rotate(quat, v) -> np.ndarray:
    """Rotate vector v by quaternion quat (x, y, z, w)."""
    x, y, z, w = quat
    vx, vy, vz = v
    # v' = v + 2w(q x v) + 2 q x (q x v)
    cx, cy, cz = y * vz - z * vy, z * vx - x * vz, x * vy - y * vx
    cx2, cy2, cz2 = y * cz - z * cy, z * cx - x * cz, x * cy - y * cx
    return np.array((vx + 2 * (w * cx + cx2), vy + 2 * (w * cy + cy2), vz + 2 * (w * cz + cz2)))


def yaw_of(quat) -> float:
    x, y, z, w = quat
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


class Sim:
    """A pybullet DIRECT client with the arena's fixed settings."""

    def __init__(self, physics_dt: float = PHYSICS_DT, control_dt: float = CONTROL_DT):
        ratio = control_dt / physics_dt
        if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
            raise ValueError(f"control_dt {control_dt} must be a whole multiple of physics_dt {physics_dt}")
        self.physics_dt, self.control_dt, self.substeps = physics_dt, control_dt, int(round(ratio))
        self.client = pb.connect(pb.DIRECT)
        # bumped by every change of a body's state (a step, a reset, a teleport): a pose read at
        # one generation is the current pose while the generation holds (Robot caches its own)
        self.generation = 0
        self.reset()

    # -- world lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        """Empty the world. Bodies are rebuilt on every episode: restoreState is not bit-exact."""
        c = self.client
        pb.resetSimulation(physicsClientId=c)
        pb.setGravity(0, 0, -GRAVITY, physicsClientId=c)
        pb.setPhysicsEngineParameter(fixedTimeStep=self.physics_dt, numSubSteps=1,
                                     numSolverIterations=SOLVER_ITERATIONS,
                                     deterministicOverlappingPairs=1, physicsClientId=c)
        self.time = 0.0
        self.steps = 0
        self.generation += 1
        self._joint_counts: dict = {}  # body -> joint count (fixed for a body's life; ids restart here)

    def close(self) -> None:
        if self.client >= 0:
            try:
                pb.disconnect(physicsClientId=self.client)
            except pb.error:
                pass
            self.client = -1

    def __del__(self):  # a forgotten Sim must not leak a physics server
        try:
            self.close()
        except Exception:
            pass

    def step(self) -> None:
        pb.stepSimulation(physicsClientId=self.client)
        self.steps += 1
        self.generation += 1
        self.time = self.steps * self.physics_dt

    # -- building ----------------------------------------------------------------------------------
    def add_ground(self, friction: float = 0.8) -> int:
        c = self.client
        shape = pb.createCollisionShape(pb.GEOM_PLANE, physicsClientId=c)
        body = pb.createMultiBody(0, shape, physicsClientId=c)
        pb.changeDynamics(body, -1, lateralFriction=friction, physicsClientId=c)
        return body

    def _shape(self, shapes: tuple[Shape, ...]) -> int:
        c = self.client
        if len(shapes) == 1:
            s = shapes[0]
            if s.kind == GEOM_MESH:
                return pb.createCollisionShape(GEOM_MESH, vertices=s.vertices, collisionFramePosition=s.pos,
                                               collisionFrameOrientation=s.quat, physicsClientId=c)
            return pb.createCollisionShape(s.kind, halfExtents=s.half_extents, radius=s.radius, height=s.length,
                                           collisionFramePosition=s.pos, collisionFrameOrientation=s.quat,
                                           physicsClientId=c)
        return pb.createCollisionShapeArray(
            [s.kind for s in shapes], halfExtents=[s.half_extents for s in shapes],
            radii=[s.radius for s in shapes], lengths=[s.length for s in shapes],
            collisionFramePositions=[s.pos for s in shapes], collisionFrameOrientations=[s.quat for s in shapes],
            physicsClientId=c)

    def add_static(self, shapes: tuple[Shape, ...], pos, quat=(0, 0, 0, 1), friction: float = 0.5) -> int:
        c = self.client
        body = pb.createMultiBody(0, self._shape(shapes), basePosition=pos, baseOrientation=quat, physicsClientId=c)
        pb.changeDynamics(body, -1, lateralFriction=friction, physicsClientId=c)
        return body

    def add_body(self, base: Link, links: tuple[Link, ...], pos, quat) -> int:
        """A multibody whose base and links all have their frames at their centres of mass."""
        c = self.client
        joint_type = {"fixed": pb.JOINT_FIXED, "revolute": pb.JOINT_REVOLUTE}
        body = pb.createMultiBody(
            base.mass, self._shape(base.shapes), -1, basePosition=pos, baseOrientation=quat,
            linkMasses=[lk.mass for lk in links],
            linkCollisionShapeIndices=[self._shape(lk.shapes) for lk in links],
            linkVisualShapeIndices=[-1] * len(links),
            linkPositions=[lk.pos for lk in links],
            linkOrientations=[(0, 0, 0, 1)] * len(links),
            linkInertialFramePositions=[lk.com for lk in links],
            linkInertialFrameOrientations=[(0, 0, 0, 1)] * len(links),
            linkParentIndices=[0] * len(links),
            linkJointTypes=[joint_type[lk.joint] for lk in links],
            linkJointAxis=[lk.axis for lk in links],
            physicsClientId=c)
        # Body-wide settings in their own call: pybullet applies a changeDynamics call that has
        # any of them to the base, whatever link index it names (tests/test_sim.py checks this).
        pb.changeDynamics(body, -1, linearDamping=0.0, angularDamping=0.0,
                          activationState=pb.ACTIVATION_STATE_DISABLE_SLEEPING, physicsClientId=c)
        for i, lk in enumerate((base, *links)):
            pb.changeDynamics(body, i - 1, localInertiaDiagonal=lk.inertia, lateralFriction=lk.friction,
                              rollingFriction=lk.rolling_friction, spinningFriction=lk.spinning_friction,
                              jointDamping=0.0, physicsClientId=c)
        for i, lk in enumerate(links):
            if lk.limits is not None:
                pb.changeDynamics(body, i, jointLowerLimit=lk.limits[0], jointUpperLimit=lk.limits[1],
                                  physicsClientId=c)
        # Joints start free: pybullet's default velocity motor would otherwise brake every wheel.
        revolute = [i for i, lk in enumerate(links) if lk.joint == "revolute"]
        if revolute:
            pb.setJointMotorControlArray(body, revolute, pb.VELOCITY_CONTROL, targetVelocities=[0] * len(revolute),
                                         forces=[0] * len(revolute), physicsClientId=c)
        return body

    def add_object(self, shape: Shape, mass: float, pos, quat, friction: float = 0.5) -> int:
        """A single-shape rigid body (a world's box or cylinder); mass 0 makes it fixed. Objects
        never sleep, so a resting box that is pushed later moves the same way every run."""
        c = self.client
        body = pb.createMultiBody(mass, self._shape((shape,)), basePosition=pos, baseOrientation=quat,
                                  physicsClientId=c)
        pb.changeDynamics(body, -1, lateralFriction=friction, rollingFriction=0.0, spinningFriction=0.0005,
                          activationState=pb.ACTIVATION_STATE_DISABLE_SLEEPING, physicsClientId=c)
        return body

    def touching(self, body: int) -> set[int]:
        """Ids of the bodies in contact with `body` after the last step (any of its links)."""
        return {p[2] for p in pb.getContactPoints(bodyA=body, physicsClientId=self.client)}

    def remove(self, body: int) -> None:
        pb.removeBody(body, physicsClientId=self.client)
        self._joint_counts.pop(body, None)
        self.generation += 1

    # -- pictures (arena.view builds a render-only Sim of visual bodies; no physics here) -----------
    def add_visual(self, shape: Shape, rgba, pos=(0.0, 0.0, 0.0), quat=(0.0, 0.0, 0.0, 1.0)) -> int:
        """A body that is only seen: no mass, no collision shape. Meshes take Shape.vertices as a
        triangle list whose texture coordinates are each vertex's (x, y) scaled into [0, 1]."""
        c = self.client
        if shape.kind == GEOM_MESH:
            v = np.asarray(shape.vertices, dtype=float)
            lo, span = v[:, :2].min(axis=0), np.ptp(v[:, :2], axis=0) + 1e-12
            vis = pb.createVisualShape(GEOM_MESH, vertices=v.tolist(), indices=list(range(len(v))),
                                       uvs=((v[:, :2] - lo) / span).tolist(), normals=[[0.0, 0.0, 1.0]] * len(v),
                                       rgbaColor=list(rgba), visualFramePosition=shape.pos,
                                       visualFrameOrientation=shape.quat, physicsClientId=c)
        else:
            vis = pb.createVisualShape(shape.kind, halfExtents=shape.half_extents, radius=shape.radius,
                                       length=shape.length, rgbaColor=list(rgba), visualFramePosition=shape.pos,
                                       visualFrameOrientation=shape.quat, physicsClientId=c)
        return pb.createMultiBody(0, -1, vis, basePosition=pos, baseOrientation=quat, physicsClientId=c)

    def set_texture(self, body: int, png_path: str) -> None:
        """Paint a visual body with a PNG (a textured mesh from add_visual)."""
        tex = pb.loadTexture(str(png_path), physicsClientId=self.client)
        pb.changeVisualShape(body, -1, textureUniqueId=tex, physicsClientId=self.client)

    def camera(self, width: int, height: int, eye, target, up=(0.0, 0.0, 1.0), fov: float = 45.0,
               near: float = 0.01, far: float = 20.0, light=(0.6, -0.8, 1.6), shadow: bool = True) -> np.ndarray:
        """An RGB picture (height x width x 3, uint8) from pybullet's TinyRenderer: software
        rendering on the CPU, so it works without a display or OpenGL."""
        c = self.client
        view = pb.computeViewMatrix(list(eye), list(target), list(up), physicsClientId=c)
        proj = pb.computeProjectionMatrixFOV(fov, width / height, near, far, physicsClientId=c)
        _w, _h, rgba, _depth, _seg = pb.getCameraImage(width, height, view, proj, lightDirection=list(light),
                                                       shadow=int(shadow), renderer=pb.ER_TINY_RENDERER,
                                                       physicsClientId=c)
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()

    # -- state -------------------------------------------------------------------------------------
    def pose(self, body: int):
        return pb.getBasePositionAndOrientation(body, physicsClientId=self.client)

    def velocity(self, body: int):
        return pb.getBaseVelocity(body, physicsClientId=self.client)

    def set_pose(self, body: int, pos, quat) -> None:
        pb.resetBasePositionAndOrientation(body, pos, quat, physicsClientId=self.client)
        self.generation += 1

    def set_velocity(self, body: int, linear, angular) -> None:
        pb.resetBaseVelocity(body, linear, angular, physicsClientId=self.client)
        self.generation += 1

    def joint_states(self, body: int, joints: list[int]):
        """(positions, velocities) of the given joints."""
        st = pb.getJointStates(body, joints, physicsClientId=self.client)
        return [s[0] for s in st], [s[1] for s in st]

    def joint_angles(self, body: int, joints: list[int]) -> list[float]:
        """Positions (rad) of the given joints: joint_states()[0] for the per-step loops."""
        out = []
        for s in pb.getJointStates(body, joints, physicsClientId=self.client):
            out.append(s[0])
        return out

    def joint_speeds(self, body: int, joints: list[int]) -> list[float]:
        """Velocities (rad/s) of the given joints: joint_states()[1] for the per-step loops."""
        out = []
        for s in pb.getJointStates(body, joints, physicsClientId=self.client):
            out.append(s[1])
        return out

    def set_joint(self, body: int, joint: int, angle: float, velocity: float = 0.0) -> None:
        pb.resetJointState(body, joint, angle, velocity, physicsClientId=self.client)
        self.generation += 1

    def drive_joints(self, body: int, joints: list[int], target_velocities: list[float], max_torques: list[float]) -> None:
        """Implicit velocity motors: reach the target speed using at most max_torque (N*m)."""
        pb.setJointMotorControlArray(body, joints, pb.VELOCITY_CONTROL, targetVelocities=target_velocities,
                                     forces=max_torques, physicsClientId=self.client)

    def apply_torque(self, body: int, link: int, torque) -> None:
        """An external torque (N*m, world frame) on a link for the next physics step only."""
        pb.applyExternalTorque(body, link, torque, pb.WORLD_FRAME, physicsClientId=self.client)

    def dynamics(self, body: int, link: int) -> tuple[float, tuple[float, float, float], float]:
        """(mass, local inertia diagonal, lateral friction) as pybullet holds them."""
        info = pb.getDynamicsInfo(body, link, physicsClientId=self.client)
        return info[0], tuple(info[2]), info[1]

    def link_pose(self, body: int, link: int):
        s = pb.getLinkState(body, link, physicsClientId=self.client)
        return s[0], s[1]

    def rays(self, starts, ends) -> list[tuple[int, float, tuple, tuple]]:
        """(body hit or -1, hit fraction, hit position, hit normal) for each ray."""
        res = pb.rayTestBatch(starts, ends, physicsClientId=self.client)
        return [(r[0], r[2], r[3], r[4]) for r in res]

    def contacts(self, body: int, link: int | None = None) -> list:
        if link is None:
            return pb.getContactPoints(bodyA=body, physicsClientId=self.client)
        return pb.getContactPoints(bodyA=body, linkIndexA=link, physicsClientId=self.client)

    def state_bytes(self, bodies: list[int]) -> bytes:
        """The full physics state of the listed bodies as float64 (little-endian): per body its
        base position, orientation, linear and angular velocity, then every joint's position and
        velocity in joint order. Nothing else in pybullet moves (static bodies have no mass)."""
        flat: list = []  # one pack at the end: the same bytes as a pack per body, fewer steps
        for b in bodies:
            self.add_state(flat, b)
        return struct.pack(f"<{len(flat)}d", *flat)

    def add_state(self, flat: list, body: int) -> None:
        """Append one body's state_bytes values to `flat`."""
        c = self.client
        pos, quat = pb.getBasePositionAndOrientation(body, physicsClientId=c)
        lin, ang = pb.getBaseVelocity(body, physicsClientId=c)
        flat += pos
        flat += quat
        flat += lin
        flat += ang
        self.add_joint_states(flat, body)

    def add_joint_states(self, flat: list, body: int) -> None:
        """Append every joint's position and velocity, in joint order (the rest of a body's state
        after its base: for a caller that has the base's pose and velocity at this generation)."""
        c = self.client
        n = self._joint_counts.get(body)
        if n is None:
            n = self._joint_counts[body] = pb.getNumJoints(body, physicsClientId=c)
        if n:
            for s in pb.getJointStates(body, range(n), physicsClientId=c):
                flat.append(s[0])
                flat.append(s[1])

    def state_digest(self, bodies: list[int]) -> bytes:
        """sha256 of state_bytes(bodies): equal digests mean equal physics states."""
        return hashlib.sha256(self.state_bytes(bodies)).digest()


def matrix9(quat) -> tuple[float, ...]:
    """Row-major 3x3 rotation matrix of a quaternion as 9 plain floats (fast, for the hot path)."""
    return pb.getMatrixFromQuaternion(quat)


def matrix(quat) -> np.ndarray:
    """3x3 rotation matrix of a quaternion (x, y, z, w)."""
    x, y, z, w = quat
    return np.array((
        (1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
        (2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
        (2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)),
    ))

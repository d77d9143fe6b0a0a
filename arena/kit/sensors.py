"""Sensor models: colour, ultrasonic, gyro and touch, with the brick's units and timing.

Every random quantity comes from a numpy Generator handed in at reset: a per-device bias drawn
once per seed, and noise drawn per reading. See docs/parts.md for each figure and its source.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from arena.kit.readout import Noise, _clip, _floor, _rint
from arena.units import COLOR_RGB, Color

if TYPE_CHECKING:  # the mat is the world's; a sensor only samples it
    from arena.world.mat import Mat

_DEG = 180.0 / math.pi  # rad -> deg, exactly as units.to_deg (inlined: this runs every step)


class SensorFrame:
    """Where a sensor is this control step (world frame, m): position and the part's x and z axes.
    Held as nine floats (C doubles when compiled): Robot fills one per sensor every step."""

    def __init__(self, pos, x_axis, z_axis):
        self.px, self.py, self.pz = (float(v) for v in pos)
        self.xx, self.xy, self.xz = (float(v) for v in x_axis)
        self.zx, self.zy, self.zz = (float(v) for v in z_axis)


# Nominal colours as 0..1 tuples, for the nearest-colour rule.
_NOMINAL = [(int(cid), tuple(c / 255.0 for c in rgb)) for cid, rgb in COLOR_RGB.items()]


class ColorSensor:
    """Reflected light %, ambient %, colour id and raw RGB (0-1020) from the mat under the spot.

    The reading falls off with height above the surface (inverse square beyond the nominal
    16 mm working distance, as a lit spot spreads), and blends across a line's edge because
    the mat is seen blurred over the spot.
    """

    NOMINAL_HEIGHT = 0.016  # m: full brightness up to here
    NOISE = 0.6  # % (1 sigma)
    RGB_NOISE = 4.0  # raw counts (1 sigma)
    BIAS = 2.0  # % (uniform +- per device, fixed for a seed)

    def __init__(self, port: str, full: bool, lens_offset: float):
        self.port = port
        self.lens_offset = lens_offset  # m from the part centre to the lens, along -z
        self.full = full  # colour sensor (True) or light sensor (reflection only)
        self.quantities = ("reflection", "ambient", "color", "rgb") if full else ("reflection", "ambient")
        self.noise_pct = self.NOISE  # reflection noise, % (1 sigma); a test bench may silence it

    def reset(self, rng: np.random.Generator, wide: bool = False) -> None:
        """wide: the domain-randomisation ranges of docs/parts.md instead of part tolerances."""
        self.bias = float(rng.uniform(-self.BIAS, self.BIAS))
        g = 0.10 if wide else 0.03
        self.gain = float(rng.uniform(1.0 - g, 1.0 + g))
        self.noise = Noise(rng)

    def read(self, frame: SensorFrame, mat: Mat, ambient: float) -> dict:
        px, py, pz, zx, zy, zz, off = frame.px, frame.py, frame.pz, frame.zx, frame.zy, frame.zz, self.lens_offset
        lx, ly, h = px - zx * off, py - zy * off, pz - zz * off
        r, g, b, lum = mat.sample(lx, ly)
        if zz < 0.5 or h < 0:  # not looking down at the mat
            falloff = 0.0
        else:
            falloff = min(1.0, (self.NOMINAL_HEIGHT / max(h, 1e-3)) ** 2)
        k = falloff * self.gain
        noise = self.noise
        refl = 100.0 * lum * k + self.bias + noise.draw(self.noise_pct)
        out = {"reflection": _clip(_rint(refl), 0.0, 100.0),
               "ambient": _clip(_rint(ambient + noise.draw(0.5)), 0.0, 100.0)}
        if self.full:
            sr = _clip(_rint(r * k * 1020.0 + noise.draw(self.RGB_NOISE)), 0.0, 1020.0)
            sg = _clip(_rint(g * k * 1020.0 + noise.draw(self.RGB_NOISE)), 0.0, 1020.0)
            sb = _clip(_rint(b * k * 1020.0 + noise.draw(self.RGB_NOISE)), 0.0, 1020.0)
            out["rgb"] = [sr, sg, sb]  # a list, as controllers receive it (whole numbers: exact in float32)
            scale = 1.0 / (1020.0 * max(falloff, 1e-3))
            out["color"] = float(classify(sr * scale, sg * scale, sb * scale, falloff > 0.1))
        return out


def classify(r: float, g: float, b: float, surface: bool) -> int:
    """Colour id from RGB (0..1, as if at the nominal height) the way the EV3 sensor does it:
    the nearest nominal colour; NONE with no surface in range or nothing close."""
    if not surface:
        return int(Color.NONE)
    best, best_d2 = int(Color.NONE), 0.25 * 0.25 * 3
    for cid, (nr, ng, nb) in _NOMINAL:
        d2 = (r - nr) ** 2 + (g - ng) ** 2 + (b - nb) ** 2
        if d2 < best_d2:
            best, best_d2 = cid, d2
    return best


class UltrasonicSensor:
    """A cone of rays; distance in mm (0-2550); 2550 = nothing seen.

    21 rays (7 across +-21 deg, 3 rows over +-8 deg) as in published kit simulators find what the
    beam can hit; a surface returns an echo only when the sensor faces it within 46 deg of its
    normal (sound reflects specularly: a wall seen at a steep angle sends the ping away, even if
    the beam's edge meets it less steeply; the floor never echoes). Readings
    below the minimum range report the minimum; a new ping every 40 ms.

    Presence (pybricks `presence()`): the sensor pings only while `emitting` (distance mode; the
    brick turns it off for `distance(silent=True)` and `presence()`, which listens). Another
    robot's sensor is heard when the two are within RANGE, each lies within the other's beam
    (CONE: the ray cone's +-21 deg) and nothing stands between them (arena.world.scene.hear).
    """

    MAX_MM = 2550.0
    MIN_MM = 30.0
    RANGE = 2.55  # m
    PERIOD = 0.04  # s
    NOISE = 4.0  # mm
    MAX_INCIDENCE = math.radians(46.0)
    MIN_COS = math.cos(MAX_INCIDENCE)
    YAWS = np.radians(np.linspace(-21, 21, 7))
    PITCHES = np.radians([-8.0, 0.0, 8.0])
    CONE_COS = math.cos(math.radians(21.0))  # the beam's half-angle, as the ray cone's widest spread

    quantities = ("distance",)

    def __init__(self, port: str):
        self.port = port
        cy, sy = np.cos(self.YAWS), np.sin(self.YAWS)
        # in the sensor frame, +x forward; the middle ray is the sensor's axis
        self.local_dirs = tuple((math.cos(p) * c, math.cos(p) * s, math.sin(p))
                                for p in self.PITCHES.tolist() for c, s in zip(cy.tolist(), sy.tolist(), strict=True))

    def reset(self, rng: np.random.Generator, wide: bool = False) -> None:
        b = 15.0 if wide else 5.0
        self.bias = float(rng.uniform(-b, b))
        self.noise = Noise(rng)
        self.next_ping = 0.0
        self.value = self.MAX_MM
        self.axis = (1.0, 0.0, 0.0)
        self.origin = (0.0, 0.0, 0.0)
        self.emitting = True  # EV3 sensors start in distance mode, pinging

    def due(self, t: float) -> bool:
        return t + 1e-9 >= self.next_ping

    def ping(self, t: float, rot: tuple, origin: tuple, cast) -> None:
        """Send a ping: rot is the sensor part's world rotation (row-major 9), origin the ray
        start (m); cast(starts, ends) -> hits as Sim.rays gives them."""
        r0, r1, r2, r3, r4, r5, r6, r7, r8 = rot
        ox, oy, oz = origin
        reach = self.RANGE
        ends = []
        for lx, ly, lz in self.local_dirs:
            ends.append((ox + (r0 * lx + r1 * ly + r2 * lz) * reach, oy + (r3 * lx + r4 * ly + r5 * lz) * reach,
                         oz + (r6 * lx + r7 * ly + r8 * lz) * reach))
        lx, ly, lz = self.local_dirs[len(self.local_dirs) // 2]
        self.axis = (r0 * lx + r1 * ly + r2 * lz, r3 * lx + r4 * ly + r5 * lz, r6 * lx + r7 * ly + r8 * lz)
        self.origin = origin
        self.update(t, cast([origin] * len(ends), ends))

    def update(self, t: float, hits) -> None:
        """hits: (body, fraction, pos, normal) per ray of the last ping."""
        self.next_ping = t + self.PERIOD
        best = math.inf
        ax, ay, az = self.axis
        min_cos = self.MIN_COS
        reach = self.RANGE
        for body, frac, _pos, normal in hits:
            if body < 0:
                continue
            nx, ny, nz = normal
            cos_inc = -(ax * nx + ay * ny + az * nz)
            if cos_inc < min_cos:
                continue
            best = min(best, frac * reach)
        if best == math.inf:
            self.value = self.MAX_MM
        else:
            mm_ = best * 1000.0 + self.bias + self.noise.draw(self.NOISE)
            self.value = _clip(_rint(mm_), self.MIN_MM, self.MAX_MM - 1)

    def read(self) -> dict:
        return {"distance": self.value}

    def faces(self, other: UltrasonicSensor) -> bool:
        """Whether the two sensors (as at their last pings) are within RANGE of each other and each
        lies within the other's beam: then each hears the other's pings unless something is in
        the way (the caller's ray test)."""
        ox, oy, oz = self.origin
        px, py, pz = other.origin
        dx, dy, dz = px - ox, py - oy, pz - oz
        d = math.sqrt(dx * dx + dy * dy + dz * dz)
        if d > self.RANGE or d < 1e-9:
            return False
        ax, ay, az = self.axis
        bx, by, bz = other.axis
        lim = self.CONE_COS * d
        return ax * dx + ay * dy + az * dz >= lim and -(bx * dx + by * dy + bz * dz) >= lim


class GyroSensor:
    """Rate (deg/s, +-440, whole deg/s) and angle (whole deg); positive clockwise seen from above,
    as pybricks reports by default. Sources in docs/parts.md:

    - At rest the reading is steady: the sensor zeroes itself when it powers up standing still
      (LEGO EV3 user guide), and a measured EV3 gyro started still showed a steady angle
      (ev3basic, "Gyro sensor accuracy"). So no bias, unless the run is randomised (`wide`:
      a gyro powered up while moving, which then drifts at up to WIDE_BIAS).
    - Scale: that measurement read a fast 360 deg turn as 351-355 deg clockwise and 359-363 deg
      counter-clockwise; each device draws its two gains from those ranges.
    - The rate saturates at +-440 deg/s (LEGO specification).
    """

    MAX_RATE = 440.0
    WIDE_BIAS = 1.5  # deg/s, uniform +- per device in randomised runs (docs/parts.md)
    GAIN_CW = (351.0 / 360.0, 355.0 / 360.0)
    GAIN_CCW = (359.0 / 360.0, 363.0 / 360.0)

    quantities = ("angle", "rate")

    def __init__(self, port: str):
        self.port = port

    def reset(self, rng: np.random.Generator, wide: bool = False) -> None:
        self.gain_cw = float(rng.uniform(*self.GAIN_CW))
        self.gain_ccw = float(rng.uniform(*self.GAIN_CCW))
        self.bias = float(rng.uniform(-self.WIDE_BIAS, self.WIDE_BIAS)) if wide else 0.0
        self.angle = 0.0
        self.rate = 0.0

    def update(self, yaw_rate: float, dyaw: float, dt: float) -> None:
        """yaw_rate: rad/s about the sensor axis (counter-clockwise positive); dyaw: rad turned."""
        true = -(yaw_rate * _DEG)  # clockwise positive
        gain = self.gain_cw if true > 0.0 else self.gain_ccw
        self.rate = _clip(true * gain + self.bias, -self.MAX_RATE, self.MAX_RATE)
        # the sensor integrates internally at 1 kHz: use the true turn, not the sampled rate,
        # unless it saturated
        if abs(true) < self.MAX_RATE:
            self.angle += -(dyaw * _DEG) * gain + self.bias * dt
        else:
            self.angle += self.rate * dt

    def read(self) -> dict:
        return {"angle": _floor(self.angle + 0.5), "rate": _rint(self.rate)}


class TouchSensor:
    """Pressed (1) while its button or a bumper on it touches anything."""

    quantities = ("pressed",)

    def __init__(self, port: str, links: tuple[int, ...]):
        self.port, self.links = port, links

    def reset(self, rng: np.random.Generator, wide: bool = False) -> None:
        self.pressed = 0.0

    def read(self) -> dict:
        return {"pressed": self.pressed}

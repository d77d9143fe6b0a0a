"""How a device turns a physical value into the brick's reading: exact rounding and
clipping, and seeded Gaussian noise. Shared by the motor and sensor models and the robot.

The rounding is plain float arithmetic, so the interpreted and the compiled build (see
arena/_speedups.py) give the same readings bit for bit.
"""

from __future__ import annotations

import numpy as np


def _clip(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else hi if v > hi else v


_HALF_ULP_1 = 6755399441055744.0  # 1.5 * 2**52: adding and removing it rounds to a whole number


def _rint(x: float) -> float:
    """float(round(x)) (half to even) in plain float arithmetic, exact for |x| < 2**51: the
    same result interpreted or compiled, without a call into Python's round() each reading."""
    return (x + _HALF_ULP_1) - _HALF_ULP_1


def _floor(x: float) -> float:
    """float(math.floor(x)) for |x| < 2**51, by the same arithmetic."""
    r = (x + _HALF_ULP_1) - _HALF_ULP_1
    return r - 1.0 if r > x else r


class Noise:
    """Gaussian noise drawn from a device's own generator in blocks: the per-step cost of one
    draw is a list pop, and the sequence is the same as drawing one at a time from a fresh block
    stream, so a seed still fixes every reading."""

    BLOCK = 512

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self._buf: list[float] = []

    def __call__(self, sigma: float) -> float:
        return self.draw(sigma)

    def draw(self, sigma: float) -> float:
        if not self._buf:
            self._buf = self.rng.standard_normal(self.BLOCK).tolist()
            self._buf.reverse()
        v = self._buf.pop()
        return v * sigma

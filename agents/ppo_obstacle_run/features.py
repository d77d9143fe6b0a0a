"""Scaled observations: the brick's readings -> a flat list of numbers in [-1, 1].

A *plan* says, per observation key, how its reading becomes features:
  ["unit", key, scale]    reading / scale, clipped to [-1, 1]   (one feature per element)
  ["angle", key, 0]       sin and cos of the reading in degrees  (two features)
  ["onehot", key, n]      an id 0..n-1 as n zeros and a one      (n features)
A plan is plain data (JSON), so the env, an exported numpy controller and an exported pybricks
program compute the same features from it. This file is copied verbatim into exported agents and
pybricks programs: it must stay pure Python that MicroPython runs (math only; no f-strings, no
annotations, no numpy).
"""

import math

# reading -> scale (the unit's full range): docs/training.md lists the same table
SCALES = {"reflection": 100.0, "ambient": 100.0, "rgb": 1020.0, "distance": 2550.0, "rate": 440.0,
          "pressed": 1.0, "voltage": 10000.0}
N_COLORS = 8  # colour ids 0-7


def plan_for(keys, max_speeds):
    """The default plan for observation keys ("S3/reflection", "B/speed", ...); max_speeds:
    {motor port: top speed in deg/s}, the scale of that motor's speed."""
    plan = []
    for key in keys:
        port, q = key.split("/")
        if q == "angle":
            plan.append(["angle", key, 0])
        elif q == "color":
            plan.append(["onehot", key, N_COLORS])
        elif q == "speed":
            plan.append(["unit", key, float(max_speeds[port])])
        elif q in SCALES:
            plan.append(["unit", key, SCALES[q]])
        else:
            raise ValueError("no scaling is defined for observation key " + repr(key))
    return plan


def size(plan, sizes):
    """Features the plan gives; sizes: {key: readings per key} (3 for rgb, 1 for the rest)."""
    n = 0
    for kind, key, arg in plan:
        if kind == "angle":
            n += 2
        elif kind == "onehot":
            n += int(arg)
        else:
            n += sizes.get(key, 1)
    return n


def _clip(v):
    return 1.0 if v > 1.0 else -1.0 if v < -1.0 else v


def features(obs, plan):
    """One observation dict (numbers, or sequences for rgb) -> its features, a list of floats."""
    out = []
    for kind, key, arg in plan:
        v = obs[key]
        if kind == "angle":
            a = math.radians(float(_scalar(v)))
            out.append(math.sin(a))
            out.append(math.cos(a))
        elif kind == "onehot":
            k = int(round(float(_scalar(v))))
            for i in range(int(arg)):
                out.append(1.0 if i == k else 0.0)
        elif isinstance(v, (list, tuple)) or hasattr(v, "__len__") and len(v) > 1:
            for x in v:
                out.append(_clip(float(x) / arg))
        else:
            out.append(_clip(float(_scalar(v)) / arg))
    return out


def _scalar(v):
    """A reading that may come as a one-element array (the env) or a number (the controller)."""
    if hasattr(v, "__len__"):
        return v[0]
    return v


class Stack:
    """The last k feature lists, oldest first, as one list; reset() fills every slot with the
    first observation (so a fresh episode does not see zeros as history)."""

    def __init__(self, k):
        self.k = int(k)
        self.frames = []

    def reset(self, feats):
        self.frames = [feats] * self.k
        return self.flat()

    def push(self, feats):
        self.frames = self.frames[1:] + [feats]
        return self.flat()

    def flat(self):
        out = []
        for f in self.frames:
            out.extend(f)
        return out

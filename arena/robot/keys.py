"""Reading the keys of one [[parts]] table that need more than a Table method: gear ratios,
colours, hinge axes and arm limits. Each raises a SpecError naming the key and the fix."""

from __future__ import annotations

import math

from arena.tomlio import Table

DEFAULT_LIMITS = (-90.0, 90.0)  # deg, arms


def parse_gear(x) -> float:
    """Output turns per motor turn from a number or "driving:driven" teeth, e.g. "12:36" -> 1/3."""
    if isinstance(x, bool):
        raise ValueError("expected a number or \"<motor teeth>:<output teeth>\"")
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str) and x.count(":") == 1:
        a, b = x.split(":")
        try:
            ta, tb = float(a), float(b)
        except ValueError:
            pass
        else:
            if ta > 0 and tb > 0:
                return ta / tb
    raise ValueError(f"cannot read gear {x!r}: write a ratio (output turns per motor turn, e.g. 0.5) "
                     "or teeth as \"<motor gear teeth>:<output gear teeth>\", e.g. \"12:36\"")


def read_gear(t: Table) -> float:
    v = t.raw("gear", 1.0)
    try:
        g = parse_gear(v)
    except ValueError as exc:
        raise t.error("gear", str(exc).split(": ", 1)[0], str(exc).split(": ", 1)[-1]) from None
    t.number("gear", g)
    if not 0.01 <= g <= 100.0:
        raise t.error("gear", f"gear ratio {g:g} is outside 0.01-100", "use a real gear train (e.g. \"8:40\" = 0.2)")
    return g


def read_color(t: Table) -> str | None:
    v = t.str("color", None)
    if v is not None:  # kept as written; checked here so a typo names its key
        t.color("color", fix='write color = "#rrggbb" or a colour name like "red"')
    return v


def read_axis(t: Table) -> tuple[float, float, float]:
    v = t.raw("axis", None)
    if v is None:
        return (0.0, 1.0, 0.0)
    named = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0),
             "-x": (-1.0, 0.0, 0.0), "-y": (0.0, -1.0, 0.0), "-z": (0.0, 0.0, -1.0)}
    if isinstance(v, str):
        if v in named:
            return named[v]
        raise t.error("axis", f"unknown axis {v!r}", 'use "x", "y", "z", "-x", "-y", "-z" or [x, y, z]')
    a = t.vec("axis", 3)
    n = math.sqrt(sum(x * x for x in a))
    if n < 1e-9:
        raise t.error("axis", "the hinge axis has zero length", 'use e.g. axis = "y" or [0, 1, 0]')
    return tuple(x / n for x in a)


def read_limits(t: Table) -> tuple[float, float]:
    lo, hi = t.vec("limits", 2, DEFAULT_LIMITS)
    if not lo < hi:
        raise t.error("limits", f"lower limit {lo:g} is not below upper limit {hi:g}", "write limits = [lower, upper] in deg")
    if not lo <= 0.0 <= hi:
        raise t.error("limits", f"the built pose (0 deg) is outside the limits [{lo:g}, {hi:g}]",
                      "limits are measured from the pose the arm is built in: include 0")
    if hi - lo > 360.0:
        raise t.error("limits", "limits span more than a full turn", "keep them within 360 deg")
    return float(lo), float(hi)

"""The parts catalogue: what each kit part weighs, measures and does."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from arena.tomlio import Table, load_toml

CATALOGUE_FILE = Path(__file__).parent / "data" / "parts.toml"
KINDS = ("brick", "motor", "wheel", "caster", "sensor", "bumper", "structure", "arm")

# What each kind of part connects to, and the build-file keys that make the connection
# (`arena parts` prints it; a catalogue entry may say more with its own `connects` key).
CONNECTS = {
    "brick": "motors on ports A-D, sensors on ports S1-S4 (exactly one per robot)",
    "motor": "a brick motor port (port = \"A\"..\"D\"); its axle drives one wheel or arm",
    "wheel": "a motor's axle (motor = \"<motor id>\", optional gear)",
    "caster": "the chassis (free: slides or rolls, no motor)",
    "sensor": "a brick sensor port (port = \"S1\"..\"S4\")",
    "bumper": "a touch sensor's button (touch = \"<touch sensor id>\")",
    "structure": "the chassis (rigid: counts for mass and collision)",
    "arm": "a motor's axle through a hinge (motor = \"<motor id>\", axis, limits, optional hinge and gear)",
}


@dataclass(frozen=True)
class Part:
    id: str
    kind: str
    description: str
    mass: float  # kg
    size: tuple[float, float, float]  # mm (for wheels and casters: diameter, width/diameter, diameter)
    color: str
    params: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def connects(self) -> str:
        if "connects" in self.params:
            return self.params["connects"]
        if self.kind == "brick":
            ports = self.params.get("motor_ports", ["A", "B", "C", "D"])
            return f"motors on ports {ports[0]}-{ports[-1]}, sensors on ports S1-S4 (exactly one per robot)"
        return CONNECTS[self.kind]

    @property
    def boxes(self) -> tuple[tuple[tuple[float, float, float], tuple[float, float, float]], ...]:
        """Collision boxes in the part frame, mm: ((centre), (size)) each. Default: one box of `size`.
        Wheels and casters are a cylinder and a sphere instead (see assembly)."""
        raw = self.params.get("boxes")
        if not raw:
            return (((0.0, 0.0, 0.0), self.size),)
        return tuple((tuple(float(v) for v in b[:3]), tuple(float(v) for v in b[3:])) for b in raw)

    def param(self, name: str, default=None):
        return self.params.get(name, default)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Part]:
    data = load_toml(CATALOGUE_FILE)
    parts: dict[str, Part] = {}
    for group, entries in data.items():
        for pid, raw in entries.items():
            t = Table(raw, str(CATALOGUE_FILE), f"{group}.{pid}")
            kind = t.str("kind", choices=KINDS)
            if kind in ("wheel", "caster"):
                d = t.num("diameter", lo=1)
                w = t.num("width", d, lo=1)
                size = (d, w, d)
            else:
                size = t.vec("size", 3)
            params = {k: v for k, v in raw.items() if k not in ("kind", "description", "mass", "size", "color")}
            boxes = params.get("boxes")
            if boxes is not None and not (isinstance(boxes, list) and all(
                    isinstance(b, list) and len(b) == 6 and all(isinstance(v, (int, float)) for v in b) for b in boxes)):
                raise t.error("boxes", "expected a list of [x, y, z, size_x, size_y, size_z] in mm",
                              "write boxes = [[0, 0, 0, 10, 10, 10], ...]")
            parts[pid] = Part(pid, kind, t.str("description"), t.num("mass", lo=0), size,
                              t.str("color", "#808080"), params)
    return parts

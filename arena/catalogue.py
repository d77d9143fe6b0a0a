"""The parts catalogue (layer 1): what each kit part weighs, measures and does."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .tomlio import Table, load_toml

CATALOGUE_FILE = Path(__file__).parent / "data" / "parts.toml"
KINDS = ("brick", "motor", "wheel", "caster", "sensor", "bumper", "structure")


@dataclass(frozen=True)
class Part:
    id: str
    kind: str
    description: str
    mass: float  # kg
    size: tuple[float, float, float]  # mm (for wheels and casters: diameter, width/diameter, diameter)
    color: str
    params: dict = field(default_factory=dict, compare=False, hash=False)

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
            parts[pid] = Part(pid, kind, t.str("description"), t.num("mass", lo=0), size,
                              t.str("color", "#808080"), params)
    return parts

"""Score terms: the vocabulary of a world file's [[score]] tables, each kind with its
parameters, and the reader that checks a table against it. arena.world.scoring computes them;
docs/worlds.md describes the same table for authors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arena.tomlio import Table

# Every score term kind and its parameters: name -> (type, default, what it means). The loader
# checks each [[score]] table against this; docs/worlds.md describes the same table for authors.
# Types: "num", "bool", "str", "path" (a path id), "zone" (a zone id), "zones" (list of zone ids),
# "objects" (list of object or group ids; [] = every movable object), "nums" (list of numbers),
# "touch" (list of: "wall", "robot", object or group ids; [] = anything but the floor).
_END = ("bool", False, "reaching the goal of this term ends the run")
TERM_PARAMS: dict[str, dict[str, tuple]] = {
    "path_progress": {"path": ("path", None, "the path followed"),
                      "finish": ("num", 0.0, "laps (closed) or fraction (open) that end the run; 0 = none"),
                      "tolerance": ("num", 60.0, "mm from the path beyond which progress pauses")},
    "laps": {"path": ("path", None, "a closed path"),
             "finish": ("num", 0.0, "whole laps that end the run; 0 = none"),
             "tolerance": ("num", 60.0, "mm from the path beyond which progress pauses")},
    "checkpoints": {"zones": ("zones", None, "the checkpoint zones in course order"),
                    "values": ("nums", None, "value of each checkpoint (default 1 each)"),
                    "ordered": ("bool", True, "a checkpoint counts only after the one before it"),
                    "end": ("bool", False, "reaching the last checkpoint ends the run")},
    "reach_zone": {"zone": ("zone", None, "the zone to reach (robot origin inside)"), "end": _END},
    "in_zone": {"zone": ("zone", None, "the zone the robot should be in (at the end)")},
    "objects_in_zone": {"zone": ("zone", None, "the target zone"),
                        "objects": ("objects", (), "objects that count ([] = every movable object)"),
                        "end": ("bool", False, "all of them inside ends the run")},
    "knockout": {"zone": ("zone", None, "the ring: a robot whose origin leaves it is out"),
                 "margin": ("num", 0.0, "mm beyond the zone edge before a robot counts as out"),
                 "win": ("num", 1.0, "value when an opponent is out or toppled first"),
                 "draw": ("num", 0.0, "value while undecided (and at the time limit)"),
                 "loss": ("num", 0.0, "value when this robot is out or toppled first"),
                 "end": ("bool", True, "a decision ends the run")},
    "out_of_bounds": {"zone": ("zone", None, "the allowed area: leaving it counts once per exit"),
                      "margin": ("num", 0.0, "mm beyond the zone edge before the robot counts as out"),
                      "end": ("bool", False, "the first exit ends the run")},
    "touch": {"with": ("touch", (), "what counts: \"wall\", \"robot\", object or group ids; [] = anything"),
              "measure": ("str", "events", "\"events\" (each new contact) or \"seconds\" (time in contact)"),
              "max": ("num", 0.0, "cap on the value (0 = no cap): bounds a penalty")},
    "toppled": {"end": ("bool", True, "toppling ends the run")},
    "time_bonus": {"zone": ("zone", None, "the zone whose reaching stops the clock"),
                   "limit": ("num", 0.0, "s: value = limit - time of reaching (0 = the world's time_limit)")},
    "time": {},
}
TERM_KINDS = tuple(TERM_PARAMS)


@dataclass(frozen=True)
class TermSpec:
    name: str
    kind: str
    weight: float
    params: dict = field(default_factory=dict, compare=False, hash=False)


def kind_and_name(t: Table, kinds, names: set, table: str) -> tuple[str, str]:
    """A [[score]] or [[shaping]] table's kind and its name, unique among `names` (added to it)."""
    kind = t.str("kind", choices=kinds)
    name = t.str("name")
    if name in names:
        raise t.error("name", f"{table} term {name!r} is named twice", f"give every [[{table}]] its own name")
    names.add(name)
    return kind, name


def known_id(t: Table, key: str, typ: str, value, ids: dict[str, set]):
    """value, when it is the id of one of the world's paths or zones (typ "path" or "zone")."""
    known = ids["paths" if typ == "path" else "zones"]
    if value is not None and value not in known:
        raise t.error(key, f"no {typ} with id {value!r}", f"use one of: {', '.join(sorted(known)) or '(none defined)'}")
    return value


def read_term(t: Table, ids: dict[str, set], names: set) -> TermSpec:
    """One [[score]] table, checked against TERM_PARAMS; ids: the world's path, zone and object ids."""
    kind, name = kind_and_name(t, TERM_KINDS, names, "score")
    params: dict = {}
    for key, (typ, default, _doc) in TERM_PARAMS[kind].items():
        req = default is None and typ not in ("nums",)
        if typ == "num":
            params[key] = t.num(key, default)
        elif typ == "bool":
            params[key] = t.bool(key, default)
        elif typ == "str":
            params[key] = t.str(key, default, choices=("events", "seconds") if key == "measure" else None)
        elif typ == "nums":
            params[key] = t.nums(key, None)
        elif typ in ("path", "zone"):
            params[key] = known_id(t, key, typ, t.str(key) if req else t.str(key, None), ids)
        else:  # zones, objects, touch: lists of ids
            v = t.strs(key) if req else t.strs(key, default)
            known = {"zones": ids["zones"], "objects": ids["objects"], "touch": ids["objects"] | {"wall", "robot"}}[typ]
            for i, x in enumerate(v):
                if x not in known:
                    raise t.error(f"{key}[{i}]", f"{x!r} is not one of this world's {typ}",
                                  f"use one of: {', '.join(sorted(known)) or '(none defined)'}")
            params[key] = tuple(v)
    if kind == "checkpoints":
        if params["values"] is not None and len(params["values"]) != len(params["zones"]):
            raise t.error("values", f"{len(params['values'])} values for {len(params['zones'])} zones",
                          "give one value per checkpoint zone")
        if not params["zones"]:
            raise t.error("zones", "no checkpoint zones", 'write zones = ["cp1", "cp2", ...]')
    if kind == "objects_in_zone" and not ids["objects"]:
        raise t.error("kind", "this world has no objects", "add [[objects]] or use another kind")
    spec = TermSpec(name, kind, t.num("weight", 1.0), params)
    t.reject_unknown()
    return spec

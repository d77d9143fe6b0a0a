"""What a brick program showed, played and logged, as data for the run's result.

The virtual brick (brick/pybricks) writes each effect to the run's output as one line,
"[brick <t>s] <what>", so it reads well as text; this turns those lines back into structured
records: screen events, sound events with their simulated time and duration, the light, and the
DataLog files (name -> CSV text). A program can print such lines itself; that only forges its own
outputs, which it could equally make through the API.
"""

from __future__ import annotations

import re

LINE = re.compile(r"^\[brick (\d+(?:\.\d+)?)s\] (\S+)(?: (.*))?$")
BEEP = re.compile(r"^(\S+) Hz (\d+(?:\.\d+)?) ms$")
LASTS = re.compile(r"^(.*) \((\d+(?:\.\d+)?) ms\)$")  # notes / say / play: "<what> (<duration> ms)"
DATALOG = re.compile(r"^(.+?): (.*)$")
MAX_EVENTS = 1000  # per kind: a program that beeps in a loop must not grow the result without bound
MAX_LOG_CHARS = 64 * 1024  # per DataLog file, as kept in the result (the program's own file is whole)
TRUNCATED = "...truncated\n"


def brick_outputs(output: str) -> dict:
    """{"screen": [{t_s, text}], "sound": [{t_s, kind, what, duration_ms}], "light": [{t_s, color}],
    "datalog": {file name: CSV text}, "truncated": bool} from a run's output text."""
    out: dict = {"screen": [], "sound": [], "light": [], "datalog": {}, "truncated": False}
    for line in output.splitlines():
        m = LINE.match(line)
        if m is None:
            continue
        t, kind, rest = round(float(m.group(1)), 3), m.group(2), m.group(3) or ""
        if kind == "datalog":
            _log_row(out, rest)
            continue
        record = _event(t, kind, rest)
        if record is None:
            continue
        key, item = record
        if len(out[key]) < MAX_EVENTS:
            out[key].append(item)
        else:
            out["truncated"] = True
    return out


def _event(t: float, kind: str, rest: str) -> tuple[str, dict] | None:
    if kind == "screen":
        return "screen", {"t_s": t, "text": rest}
    if kind == "light":
        return "light", {"t_s": t, "color": rest}
    if kind == "beep":
        m = BEEP.match(rest)
        if m:
            return "sound", {"t_s": t, "kind": "beep", "what": f"{m.group(1)} Hz", "duration_ms": float(m.group(2))}
        return None
    if kind in ("notes", "say", "play"):
        m = LASTS.match(rest)
        if m:
            return "sound", {"t_s": t, "kind": kind, "what": m.group(1), "duration_ms": float(m.group(2))}
    return None


def _log_row(out: dict, rest: str) -> None:
    m = DATALOG.match(rest)
    if m is None:
        return
    logs = out["datalog"]
    name, row = m.group(1), m.group(2) + "\n"
    text = logs.get(name, "")
    if text.endswith(TRUNCATED):
        return
    if len(text) + len(row) > MAX_LOG_CHARS:
        logs[name] = text + TRUNCATED
        out["truncated"] = True
    else:
        logs[name] = text + row

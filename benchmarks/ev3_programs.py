"""Published EV3 programs, unmodified, on the simulated brick (issue 15's "Done when").

Runs every program of tests/ev3_programs/corpus.toml (each written after a published pybricks
program: the file's header names it) on its bundled robot and world, through the sandboxed
runner as `arena run` does, ending each match when its programs have run their last statement
(run_match(until_done=True)). Prints one row per program: robot, world, exit (ended / time
limit / the status), simulated time, and the result (score, final pose, what was checked).

    python benchmarks/ev3_programs.py [--json] [NAME ...]

tests/test_ev3_programs.py runs the same corpus and asserts every program ends cleanly.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import tomllib

from arena.controllers.devices import parse_press
from arena.controllers.protocol import OK
from arena.controllers.runner import run_match
from arena.controllers.sandbox import Limits

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "ev3_programs"


def corpus() -> list[dict]:
    with open(CORPUS / "corpus.toml", "rb") as f:
        return tomllib.load(f)["program"]


def run(entry: dict, seed: int = 0) -> dict:
    """Run one corpus entry; a row: name, robot, world, exit, sim_s, wall_s, result, ok, problems."""
    # no presses key: the world's own start ritual, as `arena run` without --press
    presses = [parse_press(p) for p in entry["presses"]] if "presses" in entry else None
    t0 = time.perf_counter()
    results = run_match(entry["world"], [(entry["robot"], CORPUS / a) for a in entry["agents"]], seed=seed,
                        limits=Limits(step_s=2.0), presses=presses, until_done=True)
    wall = time.perf_counter() - t0
    problems = []
    for r in results:
        if r.status != OK:
            problems.append(f"{r.agent}: {r.status} {r.reason}")
        elif r.ended_s is None:
            problems.append(f"{r.agent}: still running at the time limit")
    output = "\n".join(r.output for r in results)
    problems += [f"output lacks {want!r}" for want in entry.get("expect", []) if want not in output]
    statuses = sorted({r.status for r in results})
    ended = all(r.status == OK and r.ended_s is not None for r in results)
    pose = results[0].poses[0] if results[0].poses else {}
    first = results[0]
    result = (f"score {first.total:g}; pose {pose.get('x_mm')}, {pose.get('y_mm')} mm, {pose.get('heading_deg')} deg"
              + (f"; {len(first.messages)} radio events" if first.messages else ""))
    return {"name": entry["name"], "robot": entry["robot"], "world": entry["world"],
            "exit": "ended" if ended else ("time limit" if statuses == [OK] else "/".join(statuses)),
            "sim_s": first.sim_time, "wall_s": round(wall, 2), "result": result, "ok": not problems,
            "problems": problems, "output": output}


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    names = [a for a in argv if not a.startswith("--")]
    rows = [run(e) for e in corpus() if not names or e["name"] in names]
    if as_json:
        print(json.dumps([{k: v for k, v in r.items() if k != "output"} for r in rows], indent=1))
    else:
        head = f"{'program':26} {'robot':9} {'world':12} {'exit':10} {'sim s':>7} {'wall s':>7}  result"
        print(head)
        print("-" * len(head))
        for r in rows:
            print(f"{r['name']:26} {r['robot']:9} {r['world']:12} {r['exit']:10} {r['sim_s']:7.2f} "
                  f"{r['wall_s']:7.2f}  {r['result']}")
            for p in r["problems"]:
                print(f"{'':26} problem: {p}")
        print(f"{sum(r['ok'] for r in rows)} of {len(rows)} programs ran to their end without an error")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

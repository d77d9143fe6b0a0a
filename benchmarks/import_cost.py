"""What starting a process that imports arena costs, in CPU time (each in a fresh interpreter).

    python benchmarks/import_cost.py [--runs 10]

Lines: `import arena` (Gymnasium ids registered only once gymnasium is imported), `import arena,
gymnasium` (what `import arena` cost before: it imported gymnasium and read every world file to
register them), and the modules a tournament worker and `arena run` need. CPU milliseconds of the
child (rusage), min-max and median over --runs, interleaved so all see the same load.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys

CASES = {
    "python -c pass": "pass",
    "import arena": "import arena",
    "import arena, gymnasium (before)": "import arena, gymnasium",
    "tournament worker modules": "import arena.compete.tournament, arena.controllers.runner, arena.compete.replay",
    "the same, with gymnasium (before)": "import gymnasium, arena.compete.tournament, arena.controllers.runner, "
                                         "arena.compete.replay",
}


def child_cpu_ms(code: str) -> float:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-W", "ignore::RuntimeWarning", "-c", code], check=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    times: dict[str, list[float]] = {k: [] for k in CASES}
    for _ in range(args.runs):
        for name, code in CASES.items():
            times[name].append(child_cpu_ms(code))
    print(f"CPU ms per process, min-max (median) of {args.runs}")
    for name, t in times.items():
        print(f"{name:<36}{min(t):7.0f}-{max(t):5.0f} ({statistics.median(t):.0f})")


if __name__ == "__main__":
    main()

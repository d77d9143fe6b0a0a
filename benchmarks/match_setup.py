"""What building a match costs after a process's first (tournaments and evals build one per
match): `Match(world, [robot])` in CPU time, with the spec cache (an unchanged world or robot file
is compared byte for byte, not parsed and validated again: arena.tomlio.cached_load) and with it
emptied before every build, interleaved in the same run, so the ratio does not depend on how busy
or fast the machine is.

    python benchmarks/match_setup.py [--world line-follow] [--robot rover] [--builds 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

from _args import positive

from arena.errors import ArenaError
from arena.match import Match
from arena.robot import assembly
from arena.robot import spec as robot_spec
from arena.world import spec as world_spec


def build_ms(world: str, robot: str, cached: bool) -> float:
    if not cached:  # as before the cache: every build parses, validates and assembles again
        world_spec._LOADED.clear()
        robot_spec._LOADED.clear()
        assembly._BUILT.clear()
    t = time.process_time()
    Match(world, [robot]).close()
    return (time.process_time() - t) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", default="line-follow")
    ap.add_argument("--robot", default="rover")
    ap.add_argument("--builds", type=positive, default=15)
    args = ap.parse_args()
    try:
        Match(args.world, [args.robot]).close()  # the process's first: imports, the mat
    except ArenaError as exc:  # a wrong --world or --robot: its one-line reason
        raise SystemExit(f"match_setup: {exc}") from None
    with_cache, without = [], []
    for _ in range(args.builds):
        without.append(build_ms(args.world, args.robot, cached=False))
        with_cache.append(build_ms(args.world, args.robot, cached=True))
    med_c, med_u = statistics.median(with_cache), statistics.median(without)
    print(f"Match({args.world!r}, [{args.robot!r}]) CPU ms, median of {args.builds} (range):")
    print(f"  files parsed and validated every time : {med_u:6.1f}  ({min(without):.1f}-{max(without):.1f})")
    print(f"  spec cache (unchanged files)          : {med_c:6.1f}  ({min(with_cache):.1f}-{max(with_cache):.1f})")
    print(f"  ratio cached / uncached               : {med_c / med_u:6.2f}")


if __name__ == "__main__":
    main()

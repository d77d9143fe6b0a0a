"""`arena run` (one episode and its score card) and `arena eval` (one agent on N seeds)."""

from __future__ import annotations

import json

from arena.cli.console import make_console
from arena.compete.backends import default_workers


def add_parsers(sub) -> None:
    p = sub.add_parser("run", help="run one episode and print its score card")
    p.add_argument("--world", required=True, help="world name (e.g. line-follow) or path to a world file")
    p.add_argument("--robot", default=None, help="robot name or path to a build file (default: the world's robot)")
    p.add_argument("--agent", required=True, help="agent folder or .py file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--db", default=None, help="also store the result in this SQLite file")
    p.add_argument("--isolation", default="auto", choices=("auto", "bwrap", "rlimit"))
    p.add_argument("--step-ms", type=float, default=None, help="per-step deadline for the controller (ms)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("eval", help="run one agent on N seeds in parallel: median, mean with 95 %% CI, terms")
    p.add_argument("--world", required=True)
    p.add_argument("--robot", default=None)
    p.add_argument("--agent", required=True)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--workers", type=int, default=default_workers())
    p.add_argument("--json", action="store_true")
    p.add_argument("--db", default=None, help="also store the results (and replays) in this SQLite file")
    p.set_defaults(func=cmd_eval)


# -- run ---------------------------------------------------------------------------------------------
def _print_result(r, console) -> None:
    from rich.table import Table

    t = Table(title=f"{r.world}  robot={r.robot}  agent={r.agent}  seed={r.seed}", title_justify="left")
    t.add_column("term")
    t.add_column("value", justify="right")
    t.add_column("weight", justify="right")
    t.add_column("points", justify="right")
    for name, term in r.score["terms"].items():
        t.add_row(name, f"{term['value']:.4f}", f"{term['weight']:g}", f"{term['points']:.2f}")
    t.add_row("[b]total[/b]", "", "", f"[b]{r.score['total']:.2f}[/b]")
    console.print(t)
    status = r.status + (f" - {r.reason}" if r.reason else "")
    console.print(f"status     {status}")
    console.print(f"finished   {'yes' if r.score['finished'] else 'no'} (tie-break {r.score['tiebreak_s']:.2f} s)")
    rtf = r.sim_time / r.wall_time if r.wall_time > 0 else float("inf")
    console.print(f"sim time   {r.sim_time:.2f} s   wall time {r.wall_time:.2f} s   ({rtf:.0f}x real time)")
    console.print(f"trajectory {r.digest}   isolation {r.isolation}")
    if r.output.strip():
        console.print("controller output (capped):")
        console.print(r.output.rstrip(), markup=False)


def cmd_run(args) -> int:
    from arena.controllers.runner import run_episode
    from arena.controllers.sandbox import Limits

    limits = Limits(step_s=args.step_ms / 1000.0) if args.step_ms else Limits()
    r = run_episode(args.world, args.robot, args.agent, seed=args.seed, limits=limits, isolation=args.isolation)
    if args.json:
        print(json.dumps(r.as_dict(), sort_keys=True))
    else:
        _print_result(r, make_console())
    if args.db:
        from arena.compete.store import Store

        Store(args.db).add(r)
    return 0


# -- eval --------------------------------------------------------------------------------------------
def cmd_eval(args) -> int:
    from rich.progress import Progress
    from rich.table import Table

    from arena.compete.evaluate import evaluate
    from arena.compete.store import Store

    console = make_console()
    store = Store(args.db) if args.db else None
    with Progress(console=console, transient=True, disable=args.json) as progress:
        task = progress.add_task(f"{args.seeds} seeds", total=args.seeds)
        ev = evaluate(args.world, args.robot, args.agent, args.seeds, args.workers,
                      on_result=lambda e: progress.advance(task) if e.kind != "failure" else None, store=store)
    if args.json:
        print(json.dumps(ev.as_dict(), sort_keys=True))
        return 0 if not ev.failures else 1
    t = Table(title=f"{ev.world}  robot={ev.robot}  agent={ev.agent}  seeds={len(ev.seeds)}", title_justify="left")
    for col in ("term", "mean value", "weight", "mean points"):
        t.add_column(col, justify="left" if col == "term" else "right")
    for name, term in ev.terms.items():
        t.add_row(name, f"{term['value']:.4f}", f"{term['weight']:g}", f"{term['points']:.2f}")
    console.print(t)
    console.print(f"median {ev.median:.2f}   mean {ev.mean:.2f}   95 % CI [{ev.ci[0]:.2f}, {ev.ci[1]:.2f}] "
                  f"(bootstrap over {len(ev.totals)} seeds)")
    if ev.failures:
        console.print(f"[red]{len(ev.failures)} failed run(s):[/red]")
        for f in ev.failures:
            console.print(f"  seed {f['seed']}: {f['status']} - {f['reason']}", markup=False)
    return 0 if not ev.failures else 1

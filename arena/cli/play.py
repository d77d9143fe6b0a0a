"""`arena run` (one episode and its score card) and `arena eval` (one agent on N seeds)."""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

from arena.cli import see
from arena.cli.console import make_console, number
from arena.compete.backends import default_workers
from arena.controllers.protocol import ERROR, INVALID, OK, TIMEOUT

# `arena run` exits with the episode's status, so scripts and CI can tell them apart (docs/controllers.md)
RUN_EXIT = {OK: 0, ERROR: 3, TIMEOUT: 4, INVALID: 5}
RUN_EPILOG = """exit status:
  0  the episode ran to its end (status OK)
  2  the arena refused the command: a bad world, robot, agent or --db (one line on stderr)
  3  status ERROR: the controller raised, exited or was killed
  4  status TIMEOUT: the controller did not reply in time
  5  status INVALID: the controller sent an invalid action or message
  130 interrupted"""
EVAL_EPILOG = """exit status:
  0  every seed's episode ended with status OK
  1  at least one seed did not (ERROR, TIMEOUT, INVALID, or INFRA when the arena itself could not
     run it); each is listed with its seed and reason, and the summary covers the episodes that ran
  2  the arena refused the command: a bad world, robot, agent or --db (one line on stderr)
  130 interrupted"""


def add_parsers(sub) -> None:
    p = sub.add_parser("run", help="run one episode and print its score card", epilog=RUN_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", required=True, help="world name (e.g. line-follow) or path to a world file")
    p.add_argument("--robot", default=None, help="robot name or path to a build file (default: the world's robot)")
    p.add_argument("--agent", required=True, help="agent folder or .py file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--db", default=None, help="also store the result in this SQLite file")
    p.add_argument("--isolation", default="auto", choices=("auto", "bwrap", "rlimit"))
    p.add_argument("--step-ms", type=number(above=0), default=None, help="per-step deadline for the controller (ms)")
    p.add_argument("--press", action="append", default=[], metavar="BUTTON@S[-END]",
                   help="press a brick button at S seconds (held 0.2 s, or until END), e.g. CENTER@0.5; "
                        "repeatable; replaces the world's [brick] presses ('--press none': press nothing). "
                        "Default: the world's [brick] presses, else none (docs/brick.md)")
    p.add_argument("--screen-dir", default=None, metavar="DIR",
                   help="write the brick's screen as PNG pictures (178 x 128), one each time it changed: "
                        "DIR/screen-NNN-T.TTs.png (docs/brick.md)")
    p.add_argument("--until-done", action="store_true",
                   help="end the run when the brick program has ended (its last statement ran) instead of at "
                        "the world's time limit; a controller class always plays to the limit (docs/brick.md)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("eval", help="run one agent on N seeds in parallel: median, mean with 95 %% CI, terms",
                       epilog=EVAL_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", required=True)
    p.add_argument("--robot", default=None)
    p.add_argument("--agent", required=True)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--workers", type=int, default=default_workers())
    p.add_argument("--json", action="store_true")
    p.add_argument("--db", default=None, help="also store the results (and replays) in this SQLite file")
    see.add_eval_options(p)  # --plot DIR
    p.set_defaults(func=cmd_eval)


# -- run ---------------------------------------------------------------------------------------------
def _print_result(r, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    # names and reasons are user text: escaped, so a "[" in them prints as written
    t = Table(title=escape(f"{r.world}  robot={r.robot}  agent={r.agent}  seed={r.seed}"), title_justify="left")
    t.add_column("term")
    t.add_column("value", justify="right")
    t.add_column("weight", justify="right")
    t.add_column("points", justify="right")
    for name, term in r.score["terms"].items():
        t.add_row(escape(name), f"{term['value']:.4f}", f"{term['weight']:g}", f"{term['points']:.2f}")
    t.add_row("[b]total[/b]", "", "", f"[b]{r.score['total']:.2f}[/b]")
    console.print(t)
    status = escape(r.status + (f" - {r.reason}" if r.reason else ""))
    console.print(f"status     {status}")
    console.print(f"finished   {'yes' if r.score['finished'] else 'no'} (tie-break {r.score['tiebreak_s']:.2f} s)")
    if r.steps == 0:  # nothing was simulated: a speed would be meaningless
        console.print(f"sim time   0.00 s (no step was simulated: the controller failed before the first one)   "
                      f"wall time {r.wall_time:.2f} s")
    else:
        rtf = r.sim_time / r.wall_time if r.wall_time > 0 else float("inf")
        speed = f"{rtf:.0f}x" if rtf >= 10 else f"{rtf:.2g}x"
        console.print(f"sim time   {r.sim_time:.2f} s   wall time {r.wall_time:.2f} s   ({speed} real time)")
    console.print(f"trajectory {r.digest}   isolation {r.isolation}")
    if r.ended_s is not None:
        console.print(f"program    ended at {r.ended_s:.2f} s")
    if r.output.strip():
        console.print("controller output (capped):")
        console.print(r.output.rstrip(), markup=False)


def cmd_run(args) -> int:
    from arena.controllers.runner import run_episode
    from arena.controllers.sandbox import Limits

    limits = Limits(step_s=args.step_ms / 1000.0) if args.step_ms else Limits()
    if args.until_done and args.db:
        from arena.errors import ArenaError

        # a match id names a whole match (to the time limit, as tournaments play it): an early end is not one
        raise ArenaError("--until-done with --db: a stored match plays to the world's time limit "
                         "(fix: drop --until-done to store the run, or --db to end it early)")
    store = None
    if args.db:  # opened first: a bad --db is refused before the episode runs
        from arena.compete.store import Store

        store = Store(args.db)
    from arena.compete.tournament import HASH_EVERY
    from arena.controllers.devices import parse_press

    if args.screen_dir and Path(args.screen_dir).exists() and not Path(args.screen_dir).is_dir():
        from arena.errors import ArenaError

        raise ArenaError(f"--screen-dir {args.screen_dir}: not a folder (fix: name a folder, new or existing)")
    # no --press: the world's own start ritual ([brick] presses); --press none: nothing pressed
    presses = None if not args.press else [parse_press(t) for t in args.press if t.strip().lower() != "none"]
    record = store is not None  # a stored match keeps its replay, as a tournament's does
    r = run_episode(args.world, args.robot, args.agent, seed=args.seed, limits=limits, isolation=args.isolation,
                    presses=presses, record=record, hash_every=HASH_EVERY if record else 0,
                    until_done=args.until_done)
    if store is not None:
        rep, world_hash = _run_replay(args, r, presses, HASH_EVERY)
        r.actions, r.checkpoints, r.tags, r.commands = [], [], "", b""  # in the replay now
        store.add_match([r], rep, world_hash)
    frames = _screen(r, args.screen_dir)
    if args.json:
        d = r.as_dict()
        d["brick"]["screen_png"] = [{"t_s": f["t_s"], "png": base64.b64encode(f["png"]).decode()} for f in frames]
        print(json.dumps(d, sort_keys=True))
    else:
        _print_result(r, make_console())
        if args.screen_dir and frames:
            make_console().print(f"screen     {len(frames)} picture(s) in {args.screen_dir}", markup=False)
    return RUN_EXIT[r.status]


def _screen(r, folder: str | None) -> list[dict]:
    """The brick's screen as PNG frames (arena.controllers.screen), written to folder if given."""
    from arena.controllers.screen import screen_frames

    frames, _ = screen_frames(r.brick["screen"])
    if folder:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(frames):
            (out / f"screen-{i:03d}-{f['t_s']:.2f}s.png").write_bytes(f["png"])
    return frames


def _run_replay(args, r, presses: list | None, hash_every: int) -> tuple[dict, str]:
    """The replay of a recorded `arena run` and its world file's hash."""
    from arena.compete import replay as replay_mod
    from arena.content import file_hash
    from arena.match import load_robot_spec, load_world_spec

    world = load_world_spec(args.world)
    robot = load_robot_spec(args.robot if args.robot is not None else world.robot)
    player = {"robot": r.robot, "robot_file": str(robot.file), "robot_hash": r.robot_hash, "agent": r.agent,
              "agent_hash": r.agent_hash}
    return (replay_mod.build(world.file, world.id, r.seed, [player], [r], hash_every, presses),
            file_hash(world.file))


# -- eval --------------------------------------------------------------------------------------------
def cmd_eval(args) -> int:
    from rich.markup import escape
    from rich.progress import Progress
    from rich.table import Table

    from arena.compete.evaluate import evaluate
    from arena.compete.store import Store

    console = make_console()
    store = Store(args.db) if args.db else None
    if args.plot:  # keeps each seed's replay to plot it
        store = see.PlotCollector(store)
    with Progress(console=console, transient=True, disable=args.json) as progress:
        task = progress.add_task(f"{args.seeds} seeds", total=args.seeds)
        ev = evaluate(args.world, args.robot, args.agent, args.seeds, args.workers,
                      on_result=lambda e: progress.advance(task) if e.kind != "failure" else None, store=store)
    if args.plot:  # on stderr with --json: stdout stays one JSON object
        see.eval_plots(store, args.plot, to_stderr=args.json)
    if args.json:
        print(json.dumps(ev.as_dict(), sort_keys=True))
        return 0 if not ev.failures else 1
    t = Table(title=escape(f"{ev.world}  robot={ev.robot}  agent={ev.agent}  seeds={len(ev.seeds)}"),
              title_justify="left")
    for col in ("term", "mean value", "weight", "mean points"):
        t.add_column(col, justify="left" if col == "term" else "right")
    for name, term in ev.terms.items():
        t.add_row(escape(name), f"{term['value']:.4f}", f"{term['weight']:g}", f"{term['points']:.2f}")
    console.print(t)
    console.print(f"median {ev.median:.2f}   mean {ev.mean:.2f}   95 % CI [{ev.ci[0]:.2f}, {ev.ci[1]:.2f}] "
                  f"(bootstrap over {len(ev.totals)} seeds)")
    if ev.failures:
        console.print(f"[red]{len(ev.failures)} failed run(s):[/red]")
        for f in ev.failures:
            console.print(f"  seed {f['seed']}: {f['status']} - {f['reason']}", markup=False)
    return 0 if not ev.failures else 1

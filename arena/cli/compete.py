"""`arena tournament`, `demo`, `submit`, `replay` and `leaderboard`: the competition commands."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from arena.cli.console import DEFAULT_DB, make_console
from arena.compete.backends import default_workers
from arena.errors import ArenaError


def add_parsers(sub) -> None:
    p = sub.add_parser("submit", help="check and store an agent (folder, .py or .zip), validate it, schedule it")
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p.add_argument("--owner", default="anonymous")
    p.add_argument("--world", default=None, help="world to validate and play on (default: every bundled world)")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=default_workers())
    p.add_argument("--play", action="store_true", help="play its scheduled matches now")
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("tournament", help="play every scheduled match (resumable) and rate the agents")
    p.add_argument("--world", action="append", default=[], help="world name or file (repeat; default: all bundled)")
    p.add_argument("--agent", action="append", default=[],
                   help="agent folder or .py (repeat; default: bundled agents and accepted submissions)")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=default_workers())
    p.add_argument("--backend", default="local", choices=("local", "ray"))
    p.add_argument("--address", default=None, help="Ray cluster address (default: a local Ray instance)")
    p.add_argument("--retries", type=int, default=2, help="retries after an infrastructure failure")
    p.add_argument("--no-replays", action="store_true", help="do not record replays")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.set_defaults(func=cmd_tournament)

    p = sub.add_parser("demo", help="a small tournament of every bundled agent on every bundled world")
    p.add_argument("--db", default=str(DEFAULT_DB), help=f"results database (default {DEFAULT_DB})")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=default_workers())
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("replay", help="show, verify (--verify) or render (--gif) a replay")
    p.add_argument("file", help="a replay file (.json or .json.gz) or a match id in --db")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--verify", action="store_true", help="re-simulate and check every state hash")
    p.add_argument("--gif", default=None, help="write a top-down GIF here")
    p.add_argument("--out", default=None, help="write the replay to this file (.json or .json.gz)")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("leaderboard", help="print the leaderboard from a results database")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--world", default=None, help="only this world id")
    p.add_argument("--format", default="table", choices=("table", "json", "csv", "html"))
    p.set_defaults(func=cmd_leaderboard)


def _store(db):
    from arena.compete.store import Store

    return Store(db)


# -- tournament ----------------------------------------------------------------------------------------
def run_tournament(console, db, seeds: int, workers: int, *, world_paths=(), agent_paths=(), record=True,
                   backend="local", address=None, retries=2, worlds=None, agents=None) -> int:
    """Play a tournament with a progress bar (the live leaders beside it) and a closing summary."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from arena import __version__
    from arena.compete import tournament as T
    from arena.compete.backends import make_backend
    from arena.compete.ranking import TournamentRatings

    store = _store(db)
    plan = T.plan(store, seeds, world_paths, agent_paths, record=record, worlds=worlds, agents=agents)
    be = make_backend(backend, workers, address)
    live = TournamentRatings(store, plan.jobs)
    console.print(f"Kit Arena {__version__} tournament: {len(plan.worlds)} world(s), {len(plan.agents)} agent(s), "
                  f"{len(plan.jobs)} matches ({len(plan.jobs) - plan.pending} already stored), {workers} {be.name} "
                  f"worker(s); results in {db}")
    t0 = time.perf_counter()
    sim = 0.0
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[leader]}"), console=console, transient=True) as progress:
        task = progress.add_task("matches", total=plan.pending, leader=live.leader())

        def on_event(e):
            nonlocal sim
            if e.kind == "result":
                live.add(e.job)
                sim += e.outcome.results[0].sim_time
                progress.update(task, advance=1, leader=escape(live.leader()))
                for r in e.outcome.results:
                    if r.status != "OK":
                        progress.console.print(f"[yellow]{escape(r.agent)} on {r.world} seed {r.seed}: {r.status} - "
                                               f"{escape(r.reason)}[/yellow]")
            else:
                progress.console.print(f"[red]infrastructure failure (attempt {e.attempt + 1}, "
                                       f"{'gave up' if e.kind == 'gave_up' else 'will retry'}): "
                                       f"{escape(e.message)}[/red]")
                if e.kind == "gave_up":
                    progress.update(task, advance=1)

        try:
            summary = T.play(plan.jobs, store, be, retries=retries, on_event=on_event)
        finally:
            be.close()
    wall = time.perf_counter() - t0
    console.print(f"{summary.played} matches played, {summary.skipped} already stored, {summary.failures} "
                  f"infrastructure failure(s); {sim:.0f} s simulated in {wall:.1f} s wall")
    if summary.gave_up:
        console.print(f"[red]{len(summary.gave_up)} match(es) failed every attempt and stay unranked; run the "
                      "tournament again to retry them[/red]")
    return 0 if not summary.gave_up else 1


def cmd_tournament(args) -> int:
    console = make_console()
    rc = run_tournament(console, args.db, args.seeds, args.workers, world_paths=args.world, agent_paths=args.agent,
                        record=not args.no_replays, backend=args.backend, address=args.address, retries=args.retries)
    _show_board(_store(args.db), None, "table", console)
    return rc


# -- demo --------------------------------------------------------------------------------------------
def cmd_demo(args) -> int:
    from arena.compete import replay
    from arena.compete.ranking import best_run, leaderboard

    console = make_console()
    rc = run_tournament(console, args.db, args.seeds, args.workers)
    store = _store(args.db)
    board = leaderboard(store.results())
    _show_board(store, None, "table", console, board)
    best = best_run(store, board)
    if best:
        rep = store.replay(best["match_id"])
        if rep:
            out = Path(args.db).parent / "best-run.gif"
            n = replay.render_gif(rep, out)
            console.print(f"best run: {best['agent']} on {best['world']} seed {best['seed']} "
                          f"({best['total']:.2f} points) -> {out} ({n} frames)")
    return rc


# -- submit ------------------------------------------------------------------------------------------
def cmd_submit(args) -> int:
    from arena.compete.submissions import submit, validate

    console = make_console()
    store = _store(args.db)
    sub = submit(args.path, args.name, args.owner, Path(args.db).parent / "submissions")
    console.print(f"stored {'new' if sub.new else 'existing'} copy {sub.agent_hash} at {sub.path}", markup=False)
    v = validate(sub, store, args.world, args.seeds,
                 on_episode=lambda world: console.print(f"validation episode on {world} (seed 0) ..."))
    if not v.accepted:
        console.print(f"[red]rejected: validation episode failed - {v.reason}[/red]", markup=False)
        if v.output.strip():
            console.print(v.output.rstrip(), markup=False)
        return 1
    console.print(f"accepted: {v.total:.2f} points on {v.world} seed 0")
    console.print(f"{len(v.pending)} match(es) scheduled for {sub.name} ({len(v.jobs) - len(v.pending)} already "
                  "played); `arena tournament` plays them" + (", playing now" if args.play else ""))
    if args.play and v.pending:
        return run_tournament(console, args.db, args.seeds, args.workers, worlds=v.worlds, agents=v.agents)
    return 0


# -- replay ------------------------------------------------------------------------------------------
def cmd_replay(args) -> int:
    from arena.compete import replay

    p = Path(args.file)
    if p.exists():
        rep = replay.load(p)
    else:
        if not Path(args.db).is_file():
            raise ArenaError(f"no replay file {args.file} and no results database at {args.db}")
        rep = _store(args.db).replay(args.file)
        if rep is None:
            raise ArenaError(f"no replay file or stored match {args.file!r}")
    players = ", ".join(f"{p['agent']} ({p['robot']})" for p in rep.get("players", []))
    print(f"replay {rep.get('match_id')}: {rep.get('world', {}).get('id')} seed {rep.get('seed')}, "
          f"{rep.get('steps')} steps, players {players}")
    for i, r in enumerate(rep.get("results", [])):
        print(f"  player {i}: {r.get('agent')} {r.get('status')} {r.get('total')}" +
              (f" - {r.get('reason')}" if r.get("reason") else ""))
    if args.out:
        replay.save(rep, args.out)
        print(f"written to {args.out}")
    rc = 0
    if args.verify:
        v = replay.verify(rep)
        print(("OK " if v.ok else "FAILED ") + v.message)
        rc = 0 if v.ok else 1
    if args.gif:
        n = replay.render_gif(rep, args.gif)
        print(f"{n} frames written to {args.gif}")
    return rc


# -- leaderboard -------------------------------------------------------------------------------------
def _show_board(store, world, fmt, console=None, board=None) -> None:
    from arena.compete import reports
    from arena.compete.ranking import leaderboard

    board = board if board is not None else leaderboard(store.results(), world)
    if fmt == "json":
        print(reports.as_json(board))
    elif fmt == "csv":
        sys.stdout.write(reports.as_csv(board))
    elif fmt == "html":
        sys.stdout.write(reports.as_html(board))
    else:
        reports.print_tables(board, console or make_console())


def cmd_leaderboard(args) -> int:
    if not Path(args.db).is_file():
        raise ArenaError(f"no results database at {args.db} (fix: run `arena demo` first or pass --db PATH)")
    _show_board(_store(args.db), args.world, args.format)
    return 0

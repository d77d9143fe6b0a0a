"""`arena tournament`, `demo`, `submit`, `replay`, `leaderboard` and `matches`: the competition commands."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from arena.cli import see
from arena.cli.console import DEFAULT_DB, make_console, number
from arena.compete.backends import default_workers
from arena.compete.store import LEASE_S
from arena.errors import ArenaError


def add_parsers(sub) -> None:
    p = sub.add_parser("submit", help="check and store an agent (folder, .py or .zip), validate it, schedule it")
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p.add_argument("--owner", default="anonymous")
    p.add_argument("--world", action="append", default=[],
                   help="a world it plays: name, file or id (repeat; default: the worlds its agent.toml declares, "
                        "else the solo worlds where a trial episode scores points)")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=default_workers())
    p.add_argument("--play", action="store_true", help="play its scheduled matches now")
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("tournament", help="play every scheduled match (resumable) and rate the agents")
    p.add_argument("--world", action="append", default=[],
                   help="world name, file or id (repeat; default: all bundled)")
    p.add_argument("--agent", action="append", default=[],
                   help="agent folder or .py (repeat; default: bundled agents and accepted submissions)")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=default_workers())
    p.add_argument("--backend", default="local", choices=("local", "ray"))
    p.add_argument("--address", default=None, help="Ray cluster address (default: a local Ray instance)")
    p.add_argument("--retries", type=int, default=2, help="retries after an infrastructure failure")
    p.add_argument("--no-replays", action="store_true", help="do not record replays")
    p.add_argument("--lease", type=number(above=0), default=LEASE_S,
                   help="s a claimed match stays claimed unless renewed (renewed every third of it while it plays; "
                        "after a crash another tournament takes the match over once it runs out)")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.set_defaults(func=cmd_tournament)

    p = sub.add_parser("demo", help="a small tournament of every bundled agent on every bundled world")
    p.add_argument("--db", default=str(DEFAULT_DB), help=f"results database (default {DEFAULT_DB})")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=default_workers())
    p.add_argument("--world", action="append", default=[], help="only these worlds (name, file or id; repeat)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("replay", help="show, verify (--verify) or render (--gif) a replay")
    p.add_argument("file", help="a replay file (.json or .json.gz) or a match id in --db")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--verify", action="store_true", help="re-simulate and check every state hash")
    p.add_argument("--gif", default=None, help="write a 3D GIF with the overlay here (see --video)")
    p.add_argument("--out", default=None, help="write the replay to this file (.json or .json.gz)")
    see.add_replay_options(p)  # --video, --camera, --size, --fps, --speed, --until, --plot, --channels
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("leaderboard", help="print the leaderboard from a results database")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--world", default=None, help="only this world (name, file or id)")
    p.add_argument("--format", default="table", choices=("table", "json", "csv", "html"))
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("matches", help="list stored matches, newest first, with their ids (for `arena replay`)")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--world", default=None, help="only this world (name, file or id)")
    p.add_argument("--agent", default=None, help="only matches this agent played (its name or agent hash)")
    p.add_argument("--limit", type=int, default=20, help="at most this many (0: all)")
    p.add_argument("--format", default="table", choices=("table", "json"))
    p.set_defaults(func=cmd_matches)


def _store(db):
    from arena.compete.store import Store

    return Store(db)


# -- tournament ----------------------------------------------------------------------------------------
def run_tournament(console, db, seeds: int, workers: int, *, world_paths=(), agent_paths=(), record=True,
                   backend="local", address=None, retries=2, worlds=None, agents=None, lease=LEASE_S) -> int:
    """Play a tournament with a progress bar (the live leaders beside it) on a terminal, a line per
    finished match otherwise, and a closing summary with the match ids."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from arena import __version__
    from arena.cli.results import match_line
    from arena.compete import tournament as T
    from arena.compete.backends import make_backend
    from arena.compete.ranking import TournamentRatings

    if not lease > 0:
        raise ArenaError(f"--lease {lease}: a lease must last more than 0 s (fix: e.g. --lease {LEASE_S:.0f})")
    store = _store(db)
    plan = T.plan(store, seeds, world_paths, agent_paths, record=record, worlds=worlds, agents=agents)
    be = make_backend(backend, workers, address)
    live = TournamentRatings(store, plan.jobs)
    console.print(f"Kit Arena {__version__} tournament: {len(plan.worlds)} world(s), {len(plan.agents)} agent(s), "
                  f"{len(plan.jobs)} matches ({len(plan.jobs) - plan.pending} already stored), {workers} {be.name} "
                  f"worker(s); results in {escape(str(db))}")
    t0 = time.perf_counter()
    sim = 0.0
    lines = not console.is_terminal  # logs and CI see no bar: a line per finished match instead
    finished = 0
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[leader]}"), console=console, transient=True) as progress:
        task = progress.add_task("matches", total=plan.pending, leader=live.leader())

        def line(text: str) -> None:
            nonlocal finished
            finished += 1
            if lines:
                progress.console.print(f"[{finished}/{plan.pending}] {text}", markup=False)

        def on_event(e):
            nonlocal sim
            if e.kind == "result":
                live.add(e.job)
                sim += e.outcome.results[0].sim_time
                progress.update(task, advance=1, leader=escape(live.leader()))
                line(match_line(e.job.world_id, e.job.seed, e.job.match_id,
                                [{"agent": r.agent, "status": r.status, "total": r.score["total"],
                                  "tiebreak": r.score["tiebreak_s"]} for r in e.outcome.results]))
                for r in e.outcome.results:
                    if r.status != "OK":
                        progress.console.print(f"[yellow]{escape(r.agent)} on {escape(r.world)} seed {r.seed}: {r.status} - "
                                               f"{escape(r.reason)}[/yellow]")
            elif e.kind == "elsewhere":
                progress.update(task, advance=1)
                line(f"{e.job.world_id} seed {e.job.seed}: stored by another process  match {e.job.match_id}")
            else:
                progress.console.print(f"[red]infrastructure failure (attempt {e.attempt + 1}, "
                                       f"{'gave up' if e.kind == 'gave_up' else 'will retry'}): "
                                       f"{escape(e.message)}[/red]")
                if e.kind == "gave_up":
                    progress.update(task, advance=1)
                    line(f"{e.job.world_id} seed {e.job.seed}: gave up  match {e.job.match_id}")

        try:
            summary = T.play(plan.jobs, store, be, retries=retries, on_event=on_event, lease=lease)
        finally:
            be.close()
    wall = time.perf_counter() - t0
    console.print(f"{summary.played} matches played by this process, {summary.elsewhere} stored by another process, "
                  f"{summary.skipped} already stored, {summary.failures} infrastructure failure(s); "
                  f"{sim:.0f} s simulated in {wall:.1f} s wall")
    if summary.discarded:
        console.print(f"{summary.discarded} match(es) played here were stored by another process first (its copy "
                      "is kept); a longer --lease avoids that")
    if summary.stored:
        newest = summary.stored[::-1][:5]
        more = len(summary.stored) - len(newest)
        console.print("match ids, newest first (`arena replay ID --db DB` shows one):", markup=False)
        for mid in newest:
            console.print(f"  {mid}", markup=False)
        if more:
            console.print(f"  and {more} more: `arena matches --db {db}` lists them all", markup=False)
    if summary.gave_up:
        console.print(f"[red]{len(summary.gave_up)} match(es) failed every attempt and stay unranked; run the "
                      "tournament again to retry them[/red]")
    return 0 if not summary.gave_up else 1


def cmd_tournament(args) -> int:
    console = make_console()
    rc = run_tournament(console, args.db, args.seeds, args.workers, world_paths=args.world, agent_paths=args.agent,
                        record=not args.no_replays, backend=args.backend, address=args.address, retries=args.retries,
                        lease=args.lease)
    _show_board(_store(args.db), None, "table", console)
    return rc


# -- demo --------------------------------------------------------------------------------------------
def cmd_demo(args) -> int:
    from arena.compete import replay
    from arena.compete.ranking import best_run

    console = make_console()
    rc = run_tournament(console, args.db, args.seeds, args.workers, world_paths=args.world)
    store = _store(args.db)
    board = _board(store, None)
    _show_board(store, None, "table", console, board)
    best = best_run(store, board)
    if best:
        rep = store.replay(best["match_id"])
        if rep:
            out = Path(args.db).parent / "best-run.gif"
            n = replay.render_gif(rep, out)
            console.print(f"best run: {best['agent']} on {best['world']} seed {best['seed']} "
                          f"({best['total']:.2f} points, match {best['match_id']}) -> {out} ({n} frames)",
                          markup=False)
    return rc


# -- submit ------------------------------------------------------------------------------------------
def cmd_submit(args) -> int:
    from rich.markup import escape

    from arena.compete.admission import admit, validate

    console = make_console()
    store = _store(args.db)
    how = {"asked": "asked for with --world", "declared": "declared in its agent.toml",
           "trial": "chosen by trial episodes"}

    def on_trials(ids):
        console.print(f"agent.toml names no worlds and no --world was given: a trial episode (seed 0) on each of "
                      f"{len(ids)} solo world(s) to find those it can drive: {escape(', '.join(ids))} ...")

    sub, choice = admit(args.path, args.name, args.owner, Path(args.db).parent / "submissions", args.world,
                        workers=args.workers, on_trials=on_trials)
    console.print(f"worlds for {escape(sub.name)} ({how[choice.how]}):")
    for note in choice.notes:
        console.print(f"  {escape(note)}")
    console.print(f"stored {'new' if sub.new else 'existing'} copy {sub.agent_hash} at {escape(str(sub.path))}")
    v = validate(sub, store, choice.worlds, args.seeds,
                 on_episode=lambda world: console.print(f"validation episode on {escape(world)} (seed 0) ..."))
    if not v.accepted:
        console.print(f"[red]rejected: validation episode failed - {escape(v.reason)}[/red]")
        if v.output.strip():
            console.print(v.output.rstrip(), markup=False)
        return 1
    console.print(f"accepted: {v.total:.2f} points on {escape(v.world)} seed 0")
    console.print(f"{len(v.pending)} match(es) scheduled for {escape(sub.name)} on {escape(', '.join(w.id for w in v.worlds))} "
                  f"({len(v.jobs) - len(v.pending)} already played); `arena tournament` plays them"
                  + (", playing now" if args.play else ""))
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
        db = Path(args.db)
        if not db.is_file():
            raise ArenaError(f"no replay file {_shown(args.file)} and no results database at {_shown(args.db)} "
                             "(fix: pass a replay file, or a match id with --db DATABASE)")
        data = _store(db).replay_data(args.file)
        if data is None:
            raise ArenaError(f"no replay file or stored match {_shown(args.file)!r} in {_shown(args.db)} "
                             "(fix: pass a replay file, or the id of a match stored in that database)")
        rep = replay.parse(data, f"{_shown(args.db)}: the stored replay of match {_shown(args.file)}",
                           fix="the stored copy is damaged: delete that match from the database and run "
                               "`arena tournament` to play it again")
    players = ", ".join(f"{_shown(p['agent'])} ({_shown(p['robot'])})" for p in rep["players"])
    print(f"replay {_shown(rep['match_id'])}: {_shown(rep['world']['id'])} seed {rep['seed']}, {rep['steps']} steps, "
          f"players {players}")
    for i, r in enumerate(rep["results"]):
        print(f"  player {i}: {_shown(r['agent'])} {_shown(r['status'])} {r['total']}" +
              (f" - {_shown(r['reason'])}" if r.get("reason") else ""))
    if args.out:
        replay.save(rep, args.out)
        print(f"written to {_shown(args.out)}")
    rc = 0
    if args.verify:
        v = replay.verify(rep)
        print(("OK " if v.ok else "FAILED ") + _shown(v.message))
        rc = 0 if v.ok else 1
    if args.gif or args.video or args.plot:
        see.replay_outputs(rep, args)
    return rc


def _shown(text) -> str:
    """Text from a replay or the command line, safe to print: bytes that are not UTF-8 and control
    characters are shown escaped (a replay is untrusted input)."""
    from arena.compete.storefile import show

    s = show(text) if isinstance(text, (str, Path)) else str(text)
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in s)


# -- leaderboard -------------------------------------------------------------------------------------
def _board(store, world):
    """The leaderboard, cached in the store until the results change; progress on stderr when slow."""
    from arena.cli.results import SlowProgress
    from arena.compete.boards import board

    with SlowProgress("computing ratings (kept for the next read)") as progress:
        return board(store, world, progress=progress)


def _show_board(store, world, fmt, console=None, board=None) -> None:
    from arena.compete import reports

    board = board if board is not None else _board(store, world)
    if fmt == "json":
        print(reports.as_json(board))
    elif fmt == "csv":
        sys.stdout.write(reports.as_csv(board))
    elif fmt == "html":
        sys.stdout.write(reports.as_html(board))
    else:
        reports.print_tables(board, console or make_console())


def _existing_store(db):
    if not Path(db).is_file():
        raise ArenaError(f"no results database at {db} (fix: run `arena demo` first or pass --db PATH)")
    return _store(db)


def _world_filter(store, world):
    """A world given by file name, path or id, as the id the store holds (the store's ids count as known)."""
    from arena.content import world_id

    return world_id(world, known=store.worlds()) if world else None


def cmd_leaderboard(args) -> int:
    store = _existing_store(args.db)
    _show_board(store, _world_filter(store, args.world), args.format)
    return 0


# -- matches -----------------------------------------------------------------------------------------
def cmd_matches(args) -> int:
    from arena.cli.results import matches_json, print_matches

    if args.limit < 0:
        raise ArenaError(f"--limit {args.limit}: give a number of matches, or 0 for all (fix: e.g. --limit 20)")
    store = _existing_store(args.db)
    world = _world_filter(store, args.world)
    if args.agent and args.agent not in store.agents() and not store.matches(agent=args.agent, limit=1):
        known = store.agents()
        shown = ", ".join(known[:20]) + (f" and {len(known) - 20} more" if len(known) > 20 else "")
        raise ArenaError(f"no agent {args.agent!r} in {args.db}: give an agent name or agent hash: {shown or '(none)'}")
    found = store.matches(world, args.agent, args.limit or None)
    if args.format == "json":
        print(matches_json(found))
    elif found:
        print_matches(found, make_console())
    else:
        print("no matches stored" + (" for these filters" if world or args.agent else "") +
              ": run `arena tournament` or `arena demo`")
    return 0

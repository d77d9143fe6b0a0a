"""The `arena` command (layer 9)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from arena import __version__
from arena.errors import ArenaError

DEFAULT_DB = Path("arena-results") / "results.sqlite"


def _default_workers() -> int:
    return min(2, os.cpu_count() or 1)


def _console():
    from rich.console import Console

    # piped output (logs, CI) gets a fixed wide layout instead of rich's 80-column default
    return Console(highlight=False, width=None if sys.stdout.isatty() else 140)


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
        _print_result(r, _console())
    if args.db:
        from arena.compete.store import Store

        Store(args.db).add(r)
    return 0


# -- eval --------------------------------------------------------------------------------------------
def cmd_eval(args) -> int:
    from rich.progress import Progress
    from rich.table import Table

    from arena.compete.evaluate import evaluate

    console = _console()
    store = _store(args.db) if args.db else None
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


def _store(db):
    from arena.compete.store import Store

    return Store(db)


# -- tournament ----------------------------------------------------------------------------------------
class _Live:
    """openskill ratings while a tournament plays: a game is rated once all its results are in."""

    def __init__(self, store, jobs):
        from collections import Counter

        from arena.compete.ranking import LiveRatings, games

        self.ratings = LiveRatings()
        self.store = store
        self.size = Counter(self._key(j.world_id, j.seed, j.match_id, len(j.players)) for j in jobs)
        self.got: dict = {}
        for g in games(store.results()):
            self.ratings.update(g)

    @staticmethod
    def _key(world, seed, mid, players):
        return (world, seed) if players == 1 else (world, seed, mid)

    def add(self, job) -> None:
        from arena.compete.ranking import games

        key = self._key(job.world_id, job.seed, job.match_id, len(job.players))
        self.got[key] = self.got.get(key, 0) + 1
        if self.got[key] == self.size[key]:
            rows = [r for r in self.store.results(job.world_id) if r["seed"] == job.seed
                    and (len(job.players) == 1 or r["match_id"] == job.match_id)]
            for g in games(rows):
                self.ratings.update(g)

    def leader(self) -> str:
        top = self.ratings.top(3)
        return "  ".join(f"{n} {v:.1f}" for n, v in top)


def run_tournament(args, console, worlds=None, agents=None) -> int:
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from arena.compete import tournament as T

    store = _store(args.db)
    worlds = worlds or ([T.load_world_entry(w) for w in args.world] if args.world else T.bundled_worlds())
    agents = agents or T.roster(store, args.agent)
    jobs = T.schedule(worlds, agents, range(args.seeds), record=not args.no_replays)
    if not jobs:
        raise ArenaError("nothing to play: no agent targets these worlds (check agent.toml worlds = [...])")
    backend = T.make_backend(args.backend, args.workers, args.address)
    live = _Live(store, jobs)
    stored = store.match_ids()
    pending = sum(j.match_id not in stored for j in jobs)
    console.print(f"Kit Arena {__version__} tournament: {len(worlds)} world(s), {len(agents)} agent(s), "
                  f"{len(jobs)} matches ({len(jobs) - pending} already stored), {args.workers} {backend.name} "
                  f"worker(s); results in {args.db}")
    t0 = time.perf_counter()
    sim = 0.0
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[leader]}"), console=console, transient=True) as progress:
        task = progress.add_task("matches", total=pending, leader=live.leader())

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
            summary = T.play(jobs, store, backend, retries=args.retries, on_event=on_event)
        finally:
            backend.close()
    wall = time.perf_counter() - t0
    console.print(f"{summary.played} matches played, {summary.skipped} already stored, {summary.failures} "
                  f"infrastructure failure(s); {sim:.0f} s simulated in {wall:.1f} s wall")
    if summary.gave_up:
        console.print(f"[red]{len(summary.gave_up)} match(es) failed every attempt and stay unranked; run the "
                      "tournament again to retry them[/red]")
    return 0 if not summary.gave_up else 1


def cmd_tournament(args) -> int:
    console = _console()
    rc = run_tournament(args, console)
    _show_board(_store(args.db), None, "table", console)
    return rc


# -- demo --------------------------------------------------------------------------------------------
def cmd_demo(args) -> int:
    from arena.compete import replay
    from arena.compete.ranking import leaderboard

    console = _console()
    args.world, args.agent, args.no_replays, args.retries, args.address = [], [], False, 2, None
    args.backend = "local"
    rc = run_tournament(args, console)
    store = _store(args.db)
    board = leaderboard(store.results())
    _show_board(store, None, "table", console, board)
    best = _best_run(store, board)
    if best:
        rep = store.replay(best["match_id"])
        if rep:
            out = Path(args.db).parent / "best-run.gif"
            n = replay.render_gif(rep, out)
            console.print(f"best run: {best['agent']} on {best['world']} seed {best['seed']} "
                          f"({best['total']:.2f} points) -> {out} ({n} frames)")
    return rc


def _best_run(store, board) -> dict | None:
    """The winner's highest-scoring run in the first world of the leaderboard."""
    worlds = [w for w in board if w != "overall"]
    if not worlds or not board[worlds[0]]:
        return None
    top = board[worlds[0]][0]
    rows = [r for r in store.results(worlds[0]) if r["agent_hash"] == top.agent_hash]
    return max(rows, key=lambda r: (r["total"], -r["tiebreak"]), default=None)


# -- submit ------------------------------------------------------------------------------------------
def cmd_submit(args) -> int:
    from arena.compete import tournament as T
    from arena.compete.submissions import submit

    console = _console()
    store = _store(args.db)
    sub = submit(args.path, args.name, args.owner, Path(args.db).parent / "submissions")
    console.print(f"stored {'new' if sub.new else 'existing'} copy {sub.agent_hash} at {sub.path}", markup=False)
    agent = T.load_agent(sub.path, sub.name)
    worlds = [T.load_world_entry(args.world)] if args.world else T.bundled_worlds()
    mine = [w for w in worlds if T.targets(agent, w)]
    if not mine:
        store.add_submission(sub.agent_hash, sub.name, args.owner, str(sub.path), "rejected", "targets no world")
        raise ArenaError(f"{sub.name} targets none of these worlds: {', '.join(w.id for w in worlds)} "
                         "(fix: list world ids in agent.toml worlds = [...])")
    w = mine[0]
    console.print(f"validation episode on {w.id} (seed 0) ...")
    job = T.schedule([w], [agent], [0])[0] if w.players == 1 else T.Job(
        "validation", w.path, w.id, w.hash, 0, (T._player(w, agent),) * w.players, record=False)
    try:
        out = T.execute(job)
    except Exception as exc:  # noqa: BLE001 - an arena failure: nothing is held against the submission
        raise ArenaError(f"validation could not run (arena failure, not your agent): {exc}") from None
    bad = [r for r in out.results if r.status != "OK"]
    if bad:
        reason = f"{bad[0].status}: {bad[0].reason}"
        store.add_submission(sub.agent_hash, sub.name, args.owner, str(sub.path), "rejected", reason)
        console.print(f"[red]rejected: validation episode failed - {reason}[/red]", markup=False)
        if bad[0].output.strip():
            console.print(bad[0].output.rstrip(), markup=False)
        return 1
    if w.players == 1:
        store.add_match(out.results, out.replay, w.hash)
    store.add_submission(sub.agent_hash, sub.name, args.owner, str(sub.path), "accepted", "")
    console.print(f"accepted: {out.results[0].score['total']:.2f} points on {w.id} seed 0")
    agents = T.roster(store)
    jobs = [j for j in T.schedule(worlds, agents, range(args.seeds))
            if any(p["agent_hash"] == sub.agent_hash for p in j.players)]
    stored = store.match_ids()
    pending = [j for j in jobs if j.match_id not in stored]
    console.print(f"{len(pending)} match(es) scheduled for {sub.name} ({len(jobs) - len(pending)} already played); "
                  "`arena tournament` plays them" + (", playing now" if args.play else ""))
    if args.play and pending:
        args.world, args.agent, args.no_replays, args.retries, args.address = [], [], False, 2, None
        args.backend = "local"
        return run_tournament(args, console, worlds, agents)
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
        reports.print_tables(board, console or _console())


def cmd_leaderboard(args) -> int:
    if not Path(args.db).is_file():
        raise ArenaError(f"no results database at {args.db} (fix: run `arena demo` first or pass --db PATH)")
    _show_board(_store(args.db), args.world, args.format)
    return 0


# -- content -------------------------------------------------------------------------------------------
def _check_robot_file(p: Path, world) -> int:
    from arena.robot.check import check_robot

    r = check_robot(p, world=world)
    if r.ok:
        spec = r.spec
        where = f", fits {world.id}" if world is not None else ""
        print(f"{p}: ok - robot {spec.name!r}, {len(spec.parts)} parts, {r.mass:.3f} kg, "
              f"{r.size[0]:.0f} x {r.size[1]:.0f} x {r.size[2]:.0f} mm, stands upright (tilt {r.tilt:.1f} deg){where}")
        return 0
    for e in r.problems:
        print(f"{e}", file=sys.stderr)
    n = len(r.problems)
    print(f"{p}: {n} problem{'s' if n > 1 else ''}", file=sys.stderr)
    return 1


def cmd_check(args) -> int:
    from arena.tomlio import load_toml

    world = None
    if args.world:
        from arena.content import resolve
        from arena.world.spec import load_world

        world = load_world(resolve("worlds", args.world))
    bad = 0
    for f in args.files:
        p = Path(f)
        try:
            data = load_toml(p)
            if "parts" in data or "extends" in data:
                bad += _check_robot_file(p, world)
            else:
                from arena.world.scene import World
                from arena.world.spec import load_world

                spec = load_world(p)
                World(spec)
                print(f"{p}: ok - world {spec.id}, {len(spec.terms)} score terms, {spec.time_limit:g} s")
        except ArenaError as exc:
            print(f"{exc}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


def cmd_world_show(args) -> int:
    """Draw a world from above for one seed: mat, walls, zones (outlined, with ids), objects, start
    poses (the world's robot, with a heading marker), and write it as a PNG."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import numpy as np
    import pygame

    from arena.content import resolve
    from arena.match import load_robot_spec
    from arena.robot.body import Robot
    from arena.world.draw import TopDown
    from arena.world.scene import World, layout_for_seed
    from arena.world.spec import load_world

    spec = load_world(resolve("worlds", args.file))
    world = World(spec)
    layout = layout_for_seed(world, args.seed)
    td = TopDown(world, scale=args.scale / 1000.0, layout=layout)
    robot = Robot(load_robot_spec(spec.robot), 0.01)
    img = td.frame([])
    for s in layout.starts[:spec.players]:
        td.robot(img, robot, s.x, s.y, s.heading)
    for z in spec.zones:
        td.outline(img, z, (255, 0, 255) if z.color is None else (40, 40, 40), dash=z.color is None)
    pygame.font.init()
    font = pygame.font.Font(None, 18)
    big = pygame.font.Font(None, 24)
    margin = 26
    surf = pygame.Surface((img.shape[1], img.shape[0] + margin))
    surf.fill((30, 30, 30))
    surf.blit(pygame.surfarray.make_surface(np.ascontiguousarray(img.transpose(1, 0, 2))), (0, margin))
    title = f"{spec.id}  seed {args.seed}  {spec.mat_size[0]:.0f} x {spec.mat_size[1]:.0f} mm  {spec.time_limit:g} s"
    surf.blit(big.render(title, True, (235, 235, 235)), (6, 5))

    def label(text, x, y, color=(20, 20, 20)):
        px, py = td.to_px(x, y)
        t = font.render(text, True, color, (255, 255, 255))
        t.set_alpha(220)
        surf.blit(t, (int(px) - t.get_width() // 2, int(py) + margin - t.get_height() // 2))

    for z in spec.zones:  # ids just inside the top edge, clear of what sits in the middle
        top = (z.size[1] / 2 if z.shape == "rect" else z.radius) - 9 * td.scale * 1000  # mm
        label(z.id, z.center[0] / 1000, (z.center[1] + top) / 1000, (140, 0, 140) if z.color is None else (20, 20, 20))
    for i, s in enumerate(layout.starts[:spec.players]):
        label(f"p{i}", s.x, s.y - 0.09, (200, 90, 0))
    pygame.image.save(surf, str(args.out))
    print(f"{args.out}: {spec.id} seed {args.seed}, {len(layout.objects)} objects, {len(layout.walls)} walls, "
          f"{len(spec.zones)} zones, {surf.get_width()} x {surf.get_height()} px")
    return 0


def cmd_parts(args) -> int:
    from rich.table import Table

    from arena.kit.catalogue import catalogue

    t = Table(title="Parts catalogue", title_justify="left")
    for c in ("id", "kind", "mass g", "size mm", "connects to", "description"):
        t.add_column(c)
    for p in catalogue().values():
        t.add_row(p.id, p.kind, f"{p.mass * 1000:.0f}", " x ".join(f"{s:g}" for s in p.size), p.connects, p.description)
    _console().print(t)
    return 0


def _load_robot_arg(name: str):
    from arena.content import resolve
    from arena.robot.spec import load_robot

    return load_robot(resolve("robots", name))


def cmd_robot_show(args) -> int:
    from rich.table import Table

    from arena.robot.draw import parts_list, robot_sheet, write_png

    spec = _load_robot_arg(args.robot)
    console = _console()
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_png(robot_sheet(spec), out)
    t = Table(title=f"{spec.name}: parts list", title_justify="left")
    for c, j in (("part", "left"), ("kind", "left"), ("count", "right"), ("mass g", "right")):
        t.add_column(c, justify=j)
    total_n, total_m = 0, 0.0
    for cid, kind, n, m in parts_list(spec):
        t.add_row(cid, kind, str(n), f"{m * 1000:.0f}")
        total_n, total_m = total_n + n, total_m + m
    t.add_row("[b]total[/b]", "", f"[b]{total_n}[/b]", f"[b]{total_m * 1000:.0f}[/b]")
    console.print(t)
    ports = ", ".join(f"{p.port}={p.id} ({p.part})" for p in (*spec.motors, *spec.sensors))
    console.print(f"ports: {ports}", markup=False)
    if args.out:
        console.print(f"picture: {args.out}", markup=False)
    return 0


def cmd_robot_urdf(args) -> int:
    from arena.robot.assembly import assemble
    from arena.robot.urdf import write_urdf

    spec = _load_robot_arg(args.robot)
    asm = assemble(spec)
    p = write_urdf(asm, args.out)
    joints = sum(1 for lk in asm.links if lk.joint == "revolute")
    print(f"{p}: {len(asm.links) + 1} links, {joints} moving joints, {asm.mass:.3f} kg "
          "(load with pybullet.loadURDF(..., flags=pybullet.URDF_USE_INERTIA_FROM_FILE))")
    return 0


def cmd_list(args) -> int:
    from arena.content import listing

    for kind in ("worlds", "robots", "agents"):
        print(f"{kind}:")
        for p in listing(kind):
            print(f"  {p.stem if p.suffix else p.name:20s} {p}")
    return 0


# -- entry point ---------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="arena", description="Kit Arena: simulate, score and rank kit-robot controllers.")
    ap.add_argument("--version", action="version", version=f"kit-arena {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    p = sub.add_parser("eval", help="run one agent on N seeds in parallel: median, mean with 95 % CI, terms")
    p.add_argument("--world", required=True)
    p.add_argument("--robot", default=None)
    p.add_argument("--agent", required=True)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--workers", type=int, default=_default_workers())
    p.add_argument("--json", action="store_true")
    p.add_argument("--db", default=None, help="also store the results (and replays) in this SQLite file")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("submit", help="check and store an agent (folder, .py or .zip), validate it, schedule it")
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p.add_argument("--owner", default="anonymous")
    p.add_argument("--world", default=None, help="world to validate and play on (default: every bundled world)")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=_default_workers())
    p.add_argument("--play", action="store_true", help="play its scheduled matches now")
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("tournament", help="play every scheduled match (resumable) and rate the agents")
    p.add_argument("--world", action="append", default=[], help="world name or file (repeat; default: all bundled)")
    p.add_argument("--agent", action="append", default=[],
                   help="agent folder or .py (repeat; default: bundled agents and accepted submissions)")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=_default_workers())
    p.add_argument("--backend", default="local", choices=("local", "ray"))
    p.add_argument("--address", default=None, help="Ray cluster address (default: a local Ray instance)")
    p.add_argument("--retries", type=int, default=2, help="retries after an infrastructure failure")
    p.add_argument("--no-replays", action="store_true", help="do not record replays")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.set_defaults(func=cmd_tournament)

    p = sub.add_parser("demo", help="a small tournament of every bundled agent on every bundled world")
    p.add_argument("--db", default=str(DEFAULT_DB), help=f"results database (default {DEFAULT_DB})")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=_default_workers())
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

    p = sub.add_parser("check", help="check robot and world files; every problem with its key and fix")
    p.add_argument("files", nargs="+")
    p.add_argument("--world", default=None, help="also check robots against this world's size and mass limits")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("world", help="world tools: `arena world show FILE --out x.png`")
    wsub = p.add_subparsers(dest="world_command", required=True, metavar="ACTION")
    q = wsub.add_parser("show", help="draw a world from above (zones, objects, start poses) as a PNG")
    q.add_argument("file", help="world name or path to a world file")
    q.add_argument("--seed", type=int, default=0, help="the layout seed (as `arena run --seed`)")
    q.add_argument("--out", required=True, help="PNG file to write")
    q.add_argument("--scale", type=float, default=2.0, help="mm per pixel (default 2)")
    q.set_defaults(func=cmd_world_show)

    p = sub.add_parser("parts", help="list the parts catalogue")
    p.set_defaults(func=cmd_parts)

    p = sub.add_parser("robot", help="show a robot build or export it")
    rsub = p.add_subparsers(dest="robot_command", required=True, metavar="ACTION")
    q = rsub.add_parser("show", help="print the parts list; --out draws top and side views to a PNG")
    q.add_argument("robot", help="robot name or path to a build file")
    q.add_argument("--out", default=None, help="PNG file to write")
    q.set_defaults(func=cmd_robot_show)
    q = rsub.add_parser("urdf", help="export URDF (same links, masses, joints) for loadURDF")
    q.add_argument("robot", help="robot name or path to a build file")
    q.add_argument("--out", required=True, help="folder to write <name>.urdf into")
    q.set_defaults(func=cmd_robot_urdf)

    p = sub.add_parser("list", help="list the worlds, robots and agents found")
    p.set_defaults(func=cmd_list)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        rc = args.func(args)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler below
        return rc
    except ArenaError as exc:
        print(f"arena: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("arena: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `arena list | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())

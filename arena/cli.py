"""The `arena` command (layer 9)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from . import __version__
from .errors import ArenaError

DEFAULT_DB = Path("arena-results") / "results.sqlite"


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
    from .runner import run_episode
    from .sandbox import Limits

    limits = Limits(step_s=args.step_ms / 1000.0) if args.step_ms else Limits()
    r = run_episode(args.world, args.robot, args.agent, seed=args.seed, limits=limits, isolation=args.isolation)
    if args.json:
        print(json.dumps(r.as_dict(), sort_keys=True))
    else:
        _print_result(r, _console())
    if args.db:
        from .store import Store

        Store(args.db).add(r)
    return 0


# -- demo --------------------------------------------------------------------------------------------
def _demo_job(job):
    from .runner import run_episode

    world, robot, agent, seed = job
    return run_episode(world, robot, agent, seed=seed)


def demo_jobs(seeds: int) -> list[tuple]:
    """Every bundled agent on every bundled world it targets, for each seed."""
    from .content import listing
    from .runner import load_agent_manifest
    from .worldspec import load_world

    worlds = {}
    for wf in listing("worlds"):
        spec = load_world(wf)
        worlds[spec.id] = (wf, spec)
    jobs = []
    for agent in listing("agents"):
        man = load_agent_manifest(agent) if agent.is_dir() else {"worlds": [], "robot": None}
        for wid in man["worlds"]:
            if wid in worlds:
                wf, spec = worlds[wid]
                for seed in range(seeds):
                    jobs.append((str(wf), man["robot"] or spec.robot, str(agent), seed))
    return jobs


def cmd_demo(args) -> int:
    from rich.progress import Progress

    from .store import Store

    console = _console()
    jobs = demo_jobs(args.seeds)
    if not jobs:
        raise ArenaError("no bundled agent targets a bundled world (check agents/*/agent.toml)")
    store = Store(args.db)
    console.print(f"Kit Arena {__version__} demo: {len(jobs)} episodes on {args.workers} workers; results in {args.db}")
    t0 = time.perf_counter()
    results = []
    with Progress(console=console, transient=True) as progress, \
            ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        task = progress.add_task("episodes", total=len(jobs))
        for r in pool.map(_demo_job, jobs):
            store.add(r)
            results.append(r)
            progress.advance(task)
    wall = time.perf_counter() - t0
    failed = [r for r in results if r.status != "OK"]
    for r in failed:
        console.print(f"[red]{r.agent} on {r.world} seed {r.seed}: {r.status} - {r.reason}[/red]")
    _print_leaderboard(store.leaderboard(), console)
    sim = sum(r.sim_time for r in results)
    console.print(f"{len(results)} episodes, {sim:.0f} s simulated in {wall:.1f} s wall ({sim / wall:.0f}x real time)")
    return 0


# -- leaderboard -------------------------------------------------------------------------------------
def _print_leaderboard(rows: list[dict], console) -> None:
    from rich.table import Table

    worlds = sorted({r["world"] for r in rows})
    for w in worlds:
        t = Table(title=f"Leaderboard - {w}", title_justify="left")
        for col, just in (("#", "right"), ("agent", "left"), ("robot", "left"), ("runs", "right"),
                          ("mean score", "right"), ("min", "right"), ("max", "right"), ("tie-break s", "right"),
                          ("failures", "right")):
            t.add_column(col, justify=just)
        for r in rows:
            if r["world"] == w:
                t.add_row(str(r["rank"]), r["agent"], r["robot"], str(r["runs"]), f"{r['mean']:.2f}",
                          f"{r['min']:.2f}", f"{r['max']:.2f}", f"{r['tiebreak']:.2f}", str(r["failures"]))
        console.print(t)
    if not worlds:
        console.print("no results yet: run `arena demo` or `arena run ... --db PATH`")


def cmd_leaderboard(args) -> int:
    from .store import Store

    if not Path(args.db).is_file():
        raise ArenaError(f"no results database at {args.db} (fix: run `arena demo` first or pass --db PATH)")
    rows = Store(args.db).leaderboard(args.world)
    if args.format == "json":
        print(json.dumps(rows, sort_keys=True))
    else:
        _print_leaderboard(rows, _console())
    return 0


# -- content -------------------------------------------------------------------------------------------
def _check_robot_file(p: Path, world, console_err) -> int:
    from .robotcheck import check_robot

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
    from .tomlio import load_toml

    world = None
    if args.world:
        from .content import resolve
        from .worldspec import load_world

        world = load_world(resolve("worlds", args.world))
    bad = 0
    for f in args.files:
        p = Path(f)
        try:
            data = load_toml(p)
            if "parts" in data or "extends" in data:
                bad += _check_robot_file(p, world, sys.stderr)
            else:
                from .world import World
                from .worldspec import load_world

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

    from .content import resolve
    from .draw import TopDown
    from .match import layout_for_seed, load_robot_spec
    from .robot import Robot
    from .world import World
    from .worldspec import load_world

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

    from .catalogue import catalogue

    t = Table(title="Parts catalogue", title_justify="left")
    for c in ("id", "kind", "mass g", "size mm", "connects to", "description"):
        t.add_column(c)
    for p in catalogue().values():
        t.add_row(p.id, p.kind, f"{p.mass * 1000:.0f}", " x ".join(f"{s:g}" for s in p.size), p.connects, p.description)
    _console().print(t)
    return 0


def _load_robot_arg(name: str):
    from .content import resolve
    from .robotspec import load_robot

    return load_robot(resolve("robots", name))


def cmd_robot_show(args) -> int:
    from rich.table import Table

    from .robotdraw import parts_list, robot_sheet, write_png

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
    from .assembly import assemble
    from .urdf import write_urdf

    spec = _load_robot_arg(args.robot)
    asm = assemble(spec)
    p = write_urdf(asm, args.out)
    joints = sum(1 for lk in asm.links if lk.joint == "revolute")
    print(f"{p}: {len(asm.links) + 1} links, {joints} moving joints, {asm.mass:.3f} kg "
          "(load with pybullet.loadURDF(..., flags=pybullet.URDF_USE_INERTIA_FROM_FILE))")
    return 0


def cmd_list(args) -> int:
    from .content import listing

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

    p = sub.add_parser("demo", help="run every bundled agent on its worlds and print the leaderboard")
    p.add_argument("--db", default=str(DEFAULT_DB), help=f"results database (default {DEFAULT_DB})")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("leaderboard", help="print the leaderboard from a results database")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--world", default=None, help="only this world id")
    p.add_argument("--format", default="table", choices=("table", "json"))
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
        return args.func(args)
    except ArenaError as exc:
        print(f"arena: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("arena: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""`arena check`, `world show`, `parts`, `robot show`, `robot urdf` and `list`: the content commands."""

from __future__ import annotations

import sys
from pathlib import Path

from arena.cli.console import make_console, number
from arena.errors import ArenaError


def add_parsers(sub) -> None:
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
    q.add_argument("--scale", type=number(above=0), default=2.0, help="mm per pixel (default 2)")
    q.add_argument("--3d", dest="three_d", action="store_true",
                   help="draw a 3D render instead (TinyRenderer: mat, walls, objects and robots at their start)")
    q.set_defaults(func=cmd_world_show)

    p = sub.add_parser("parts", help="list the parts catalogue")
    p.set_defaults(func=cmd_parts)

    p = sub.add_parser("robot", help="show a robot build or export it")
    rsub = p.add_subparsers(dest="robot_command", required=True, metavar="ACTION")
    q = rsub.add_parser("show", help="print the parts list; --out draws top and side views to a PNG")
    q.add_argument("robot", help="robot name or path to a build file")
    q.add_argument("--out", default=None, help="PNG file to write")
    q.add_argument("--3d", dest="three_d", action="store_true",
                   help="add a 3D render (isometric, parts in their colours) beside the views; needs --out")
    q.set_defaults(func=cmd_robot_show)
    q = rsub.add_parser("urdf", help="export URDF (same links, masses, joints) for loadURDF")
    q.add_argument("robot", help="robot name or path to a build file")
    q.add_argument("--out", required=True, help="folder to write <name>.urdf into")
    q.set_defaults(func=cmd_robot_urdf)

    p = sub.add_parser("list", help="list the worlds, robots and agents found")
    p.set_defaults(func=cmd_list)


# -- check ---------------------------------------------------------------------------------------------
MAX_PRINTED = 30  # problems printed per file; the rest are counted


def _report(p: Path, problems: list) -> int:
    """Print a file's problems (the first MAX_PRINTED, then a count) and the "N problems" line."""
    for e in problems[:MAX_PRINTED]:
        print(f"{e}", file=sys.stderr)
    n = len(problems)
    if n > MAX_PRINTED:
        print(f"{p}: ... and {n - MAX_PRINTED:,} more problems (not shown: fix the ones above first)", file=sys.stderr)
    print(f"{p}: {n:,} problem{'s' if n > 1 else ''}", file=sys.stderr)
    return 1


def _check_robot_file(p: Path, world) -> int:
    from arena.robot.check import check_robot

    r = check_robot(p, world=world)
    if r.ok:
        spec = r.spec
        where = f", fits {world.id}" if world is not None else ""
        print(f"{p}: ok - robot {spec.name!r}, {len(spec.parts)} parts, {r.mass:.3f} kg, "
              f"{r.size[0]:.0f} x {r.size[1]:.0f} x {r.size[2]:.0f} mm, stands upright (tilt {r.tilt:.1f} deg){where}")
        return 0
    return _report(p, r.problems)


def _check_world_file(p: Path) -> int:
    from arena.world.checks import robot_problem
    from arena.world.scene import World
    from arena.world.spec import read_world

    spec, problems = read_world(p)
    if spec is not None:
        bad_robot = robot_problem(spec)
        if bad_robot is not None:
            problems.append(bad_robot)
        else:
            try:
                World(spec)  # builds what the file describes (e.g. a maze) as a run would
            except ArenaError as exc:
                problems.append(exc)
    if problems:
        return _report(p, problems)
    print(f"{p}: ok - world {spec.id}, {len(spec.terms)} score terms, {spec.time_limit:g} s")
    return 0


def file_kind(data: dict) -> str | None:
    """"robot" or "world" from a file's top-level keys (mistyped ones count for what they are
    closest to); None when nothing says."""
    from arena.robot.spec import TOP_KEYS
    from arena.tomlio import closest

    robot_only = [k for k in TOP_KEYS if k not in ("name", "description", "author")]
    world_only = ["id", "robot", "time_limit", "limits", "mat", "start", "score", "zones", "objects", "walls", "maze",
                  "players", "ambient", "border"]
    keys = [k for k in data if isinstance(k, str)]
    r = sum(1 for k in keys if closest(k, robot_only + world_only) in robot_only)
    w = sum(1 for k in keys if closest(k, robot_only + world_only) in world_only)
    if r or w:
        return "robot" if r >= w else "world"
    return None


def cmd_check(args) -> int:
    from arena.errors import SpecError
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
            kind = file_kind(data)
            if kind == "robot":
                bad += _check_robot_file(p, world)
            elif kind == "world":
                bad += _check_world_file(p)
            elif not data:
                raise SpecError(str(p), "", "the file is empty", "a robot file needs [[parts]]; a world file needs "
                                "id, [mat], [[start]] and [[score]] (see docs/robots.md, docs/worlds.md)")
            else:
                raise SpecError(str(p), "", f"neither a robot nor a world file (keys: {', '.join(map(str, data))})",
                                "a robot file needs [[parts]]; a world file needs id, [mat], [[start]] and [[score]]")
        except ArenaError as exc:
            print(f"{exc}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


# -- world show ----------------------------------------------------------------------------------------
def cmd_world_show(args) -> int:
    """Draw a world from above for one seed (arena.world.draw.world_sheet) and write it as a PNG."""
    from arena.content import resolve
    from arena.world.draw import world_sheet
    from arena.world.spec import load_world

    spec = load_world(resolve("worlds", args.file))
    if args.three_d:
        from arena.robot.draw import write_png
        from arena.view.pictures import world_render

        img = world_render(spec, args.seed)
        write_png(img, Path(args.out))
        print(f"{args.out}: {spec.id} seed {args.seed}, 3D render, {img.shape[1]} x {img.shape[0]} px")
        return 0
    sheet = world_sheet(spec, args.seed, args.scale)
    sheet.save(args.out)
    w, h = sheet.size
    print(f"{args.out}: {spec.id} seed {args.seed}, {sheet.objects} objects, {sheet.walls} walls, "
          f"{sheet.zones} zones, {w} x {h} px")
    return 0


# -- parts and robots ----------------------------------------------------------------------------------
def cmd_parts(args) -> int:
    from rich.table import Table

    from arena.kit.catalogue import catalogue

    t = Table(title="Parts catalogue", title_justify="left")
    for c in ("id", "kind", "mass g", "size mm", "connects to", "description"):
        t.add_column(c)
    for p in catalogue().values():
        t.add_row(p.id, p.kind, f"{p.mass * 1000:.0f}", " x ".join(f"{s:g}" for s in p.size), p.connects, p.description)
    make_console().print(t)
    return 0


def _load_robot_arg(name: str):
    from arena.content import resolve
    from arena.robot.spec import load_robot

    return load_robot(resolve("robots", name))


def cmd_robot_show(args) -> int:
    from rich.markup import escape
    from rich.table import Table

    from arena.robot.draw import parts_list, robot_sheet, write_png

    if args.three_d and not args.out:
        raise ArenaError("robot show --3d draws a picture: add --out FILE.png")
    spec = _load_robot_arg(args.robot)
    console = make_console()
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if args.three_d:
            from arena.view.pictures import robot_sheet_3d

            write_png(robot_sheet_3d(spec), out)
        else:
            write_png(robot_sheet(spec), out)
    t = Table(title=escape(f"{spec.name}: parts list"), title_justify="left")  # a user's names: literal
    for c, j in (("part", "left"), ("kind", "left"), ("count", "right"), ("mass g", "right")):
        t.add_column(c, justify=j)
    total_n, total_m = 0, 0.0
    for cid, kind, n, m in parts_list(spec):
        t.add_row(escape(cid), kind, str(n), f"{m * 1000:.0f}")
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


# -- list ----------------------------------------------------------------------------------------------
def cmd_list(args) -> int:
    from arena.content import listing

    for kind in ("worlds", "robots", "agents"):
        print(f"{kind}:")
        for p in listing(kind):
            print(f"  {p.stem if p.suffix else p.name:20s} {p}")
    return 0

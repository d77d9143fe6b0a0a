"""`arena view` and `arena drive` (the pygame window), and the pictures `arena replay` can make:
`--video`/`--gif` (3D, with the overlay) and `--plot` (sensor and motor traces)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from arena.cli.console import DEFAULT_DB, number
from arena.errors import ArenaError


def add_parsers(sub) -> None:
    p = sub.add_parser("view", help="a window on a replay or a live run: top-down, timeline, score, sensor plots")
    p.add_argument("replay", nargs="?", default=None, help="a replay file or a match id in --db")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--world", default=None, help="watch a live run in this world (with --agent)")
    p.add_argument("--robot", default=None, help="live run: robot name or file (default: the world's robot)")
    p.add_argument("--agent", action="append", default=None, help="live run: agent folder or file (repeat for several)")
    p.add_argument("--seed", type=int, default=0, help="live run: the seed")
    p.add_argument("--isolation", default="auto", choices=("auto", "bwrap", "rlimit"))
    _window_options(p)
    p.set_defaults(func=cmd_view)

    p = sub.add_parser("drive", help="drive a robot with the keyboard (arrows), sensors shown live; records a replay")
    p.add_argument("--world", required=True, help="world name or file")
    p.add_argument("--robot", default=None, help="robot name or file (default: the world's robot)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keys", default=None,
                   help='scripted keys, one item per run of control steps: "up*50,left*10,up+left*5,none*20" '
                        "(arrows drive; q/a w/s e/d r/f turn the other motors)")
    p.add_argument("--out", default="drive.json.gz", help="where to record the drive as a replay (default %(default)s)")
    _window_options(p)
    p.set_defaults(func=cmd_drive)


def _window_options(p) -> None:
    p.add_argument("--channels", default=None,
                   help='plots to show, e.g. "S3/reflection,S2/angle,B/duty" (default: the first sensors and motors)')
    p.add_argument("--map", default="top", choices=("top", "chase", "above"),
                   help="the map: top-down, or a 3D view (TinyRenderer) behind player 0 or from above; key 3 cycles")
    p.add_argument("--screenshot", default=None, help="draw one frame to this PNG and exit (no window)")
    p.add_argument("--at", type=number(at_least=0), default=None, help="with --screenshot: the simulated time, s (default: the end)")
    p.add_argument("--frames", type=int, default=None,
                   help="open the window, play this many frames and exit (with --screenshot: save the window)")


def add_replay_options(p) -> None:
    """The picture options of `arena replay` (arena.cli.compete registers the command)."""
    p.add_argument("--video", default=None, help="write a 3D video with the overlay here (.mp4 or .gif)")
    p.add_argument("--camera", default="chase", choices=("chase", "top"), help="video camera (default chase)")
    p.add_argument("--size", default="768x432", help="video frame size WIDTHxHEIGHT, at least 640 wide")
    p.add_argument("--fps", type=int, default=15, help="video frames per second (default 15)")
    p.add_argument("--speed", type=number(above=0), default=2.0, help="simulated seconds per video second (default 2)")
    p.add_argument("--until", type=number(above=0), default=None, help="film only the first N simulated seconds")
    p.add_argument("--shadows", action="store_true", help="render shadows (about twice the rendering time)")
    p.add_argument("--follow", type=int, default=0, help="the player the chase camera follows (default 0)")
    p.add_argument("--plot", default=None, help="write a PNG of sensor and motor traces here")
    p.add_argument("--channels", default=None, help='--plot channels, e.g. "S3/reflection,B/duty"')


def replay_outputs(rep: dict, args) -> None:
    """--gif / --video / --plot of `arena replay`."""
    from arena.view.plots import parse_channels, write_plot
    from arena.view.trace import trace_replay
    from arena.view.video import parse_size, render_video

    size = parse_size(args.size)
    for out in (args.video, args.gif):
        if out:
            if args.gif and out == args.gif and not out.lower().endswith(".gif"):
                raise ArenaError(f"--gif {out}: the file name must end in .gif (or use --video for .mp4)")
            s = render_video(rep, out, view=args.camera, size=size, fps=args.fps, speed=args.speed, until=args.until,
                             shadows=args.shadows, follow=args.follow)
            print(f"{s.path}: {s.frames} frames, {s.width} x {s.height} px, {s.fps} fps, {s.sim_s:.1f} s simulated; "
                  f"rendered at {s.render_fps:.1f} frames/s ({s.render_s:.1f} s)")
    if args.plot:
        p = write_plot(trace_replay(rep), args.plot, parse_channels(args.channels))
        print(f"{p}: sensor and motor traces")


def load_replay(arg: str, db: str) -> dict:
    """A replay file, or the replay of a match stored in the results database."""
    from arena.compete import replay
    from arena.compete.store import Store

    p = Path(arg)
    if p.exists():
        return replay.load(p)
    if not Path(db).is_file():
        raise ArenaError(f"no replay file {arg} and no results database at {db} "
                         "(fix: pass a replay file, or a match id with --db DATABASE)")
    data = Store(db).replay_data(arg)
    if data is None:
        raise ArenaError(f"no replay file or stored match {arg!r} in {db} "
                         "(fix: pass a replay file, or the id of a match stored in that database)")
    return replay.parse(data, f"{db}: the stored replay of match {arg}")


def _headless_if_screenshot(args) -> None:
    if args.frames is not None and args.frames < 1:
        raise ArenaError(f"--frames {args.frames}: not a number of frames (fix: give 1 or more)")
    if args.screenshot and args.frames is None:  # one frame into a file: no window, whatever the machine has
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")


def _show(viewer, args, drive: bool = False) -> None:
    if args.screenshot:
        if not args.screenshot.lower().endswith(".png"):
            raise ArenaError(f"--screenshot {args.screenshot}: screenshots are PNG files (fix: end the name in .png)")
        try:
            Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArenaError(f"--screenshot {args.screenshot}: cannot make its folder: {exc.strerror or exc} "
                             "(fix: give a path in a writable folder)") from None
    if args.frames is not None:
        if args.at is not None:
            viewer.seek(args.at)
        viewer.run(drive=drive, frames=args.frames, shot=args.screenshot)
        print(f"window: {args.frames} frames shown, t = {viewer.src.trace.time(int(viewer.cur)):.2f} s"
              + (f", saved to {args.screenshot}" if args.screenshot else ""))
    elif args.screenshot:
        viewer.screenshot(args.screenshot, args.at)
        tr = viewer.src.trace
        print(f"{args.screenshot}: t = {tr.time(int(viewer.cur)):.2f} s, plots: {', '.join(viewer.channels)}")
    else:
        viewer.run(drive=drive)


def _channels(args, trace) -> list[str] | None:
    from arena.view.plots import parse_channels

    names = parse_channels(args.channels)
    for n in names or ():
        if not any(n in pl.channels for pl in trace.players):
            raise ArenaError(f"--channels: no channel {n!r} in this run (fix: choose from "
                             f"{', '.join(trace.players[0].channels)})")
    return names


def cmd_view(args) -> int:
    _headless_if_screenshot(args)
    from arena.view.viewer import ReplaySource, SessionSource, Viewer

    if (args.replay is None) == (args.world is None):
        raise ArenaError("arena view: what to show? (fix: give a replay file or match id, or --world W --agent A, "
                         "not both)")
    if args.world is not None:
        if not args.agent:
            raise ArenaError("arena view --world: add --agent AGENT (an agent folder or .py file)")
        if args.screenshot and args.at is None and args.frames is None:
            raise ArenaError("arena view --world ... --screenshot: add --at SECONDS (a live run has no end yet)")
        from arena.view.live import LiveRun

        src = SessionSource(LiveRun(args.world, args.robot, args.agent, args.seed, args.isolation))
    else:
        src = ReplaySource(load_replay(args.replay, args.db))
    try:
        viewer = Viewer(src, _channels(args, src.trace), title=f"Kit Arena - {src.trace.world}")
        viewer.map_mode = args.map
        _show(viewer, args)
    finally:
        src.close()
    return 0


def cmd_drive(args) -> int:
    _headless_if_screenshot(args)
    from arena.compete import replay
    from arena.view.live import Teleop, parse_keys
    from arena.view.viewer import SessionSource, Viewer

    script = parse_keys(args.keys) if args.keys else []
    if not args.out.endswith((".json", ".json.gz")):
        raise ArenaError(f"--out {args.out}: not a replay file name (fix: end it in .json or .json.gz)")
    session = Teleop(args.world, args.robot, args.seed)
    src = SessionSource(session)
    try:
        for held in script:
            if session.done:
                break
            session.advance(held)
        viewer = Viewer(src, _channels(args, src.trace), title=f"Kit Arena drive - {src.trace.world}")
        viewer.map_mode = args.map
        viewer.cur = float(len(src.trace) - 1)
        _show(viewer, args, drive=True)
        rep = session.replay()
        replay.save(rep, args.out)
        card = session.match.scorer.card(0)
        print(f"{args.out}: drive recorded, {rep['steps']} steps ({session.match.time:.2f} s), "
              f"score {card.total:.2f}; replay with `arena replay {args.out}` or `arena view {args.out}`")
    finally:
        src.close()
    return 0


# -- `arena eval --plot DIR` -------------------------------------------------------------------------
def add_eval_options(p) -> None:
    """The picture option of `arena eval` (arena.cli.play registers the command)."""
    p.add_argument("--plot", default=None, metavar="DIR",
                   help="write each seed's sensor and motor traces as DIR/seed-N.png")


class PlotCollector:
    """Stands in for the results store during `arena eval --plot`: keeps each seed's replay and
    passes every match on to the real store when there is one (--db)."""

    def __init__(self, store=None):
        self.store = store
        self.replays: list[dict] = []

    def add_match(self, results, replay=None, world_hash: str = "") -> bool:
        if replay is not None:
            self.replays.append(replay)
        return self.store.add_match(results, replay, world_hash) if self.store is not None else True


def eval_plots(collector: PlotCollector, folder: str, to_stderr: bool = False) -> list[Path]:
    """One PNG per evaluated seed (re-simulated from its replay), in seed order."""
    from arena.view.plots import write_plot
    from arena.view.trace import trace_replay

    out = []
    for rep in sorted(collector.replays, key=lambda r: int(r["seed"])):
        out.append(write_plot(trace_replay(rep), Path(folder) / f"seed-{int(rep['seed'])}.png"))
    print(f"plots: {len(out)} PNG(s) of sensor and motor traces in {folder}", file=sys.stderr if to_stderr else sys.stdout)
    return out

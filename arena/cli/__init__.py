"""The `arena` command: the parser and the entry point. Each command group is a module
that adds its own subparsers and holds its commands (parsing, one call into the package, printing):
arena.cli.play (run, eval), arena.cli.compete (submit, tournament, demo, replay, leaderboard) and
arena.cli.content (check, world, parts, robot, list), arena.cli.see (view, drive), arena.cli.train
(train, export, curves), arena.cli.queue (team, worker), arena.cli.serve (serve)."""

from __future__ import annotations

import argparse
import os
import sys

from arena import __version__
from arena.cli import compete, content, play, queue, see, serve, train
from arena.errors import ArenaError


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="arena", description="Kit Arena: simulate, score and rank kit-robot controllers.")
    ap.add_argument("--version", action="version", version=f"kit-arena {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (play, compete, queue, serve, content, see, train):  # the order of `arena --help`
        group.add_parsers(sub)
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

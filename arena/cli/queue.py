"""`arena team` and `arena worker`: the submission queue behind `arena serve`."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from arena.cli.console import DEFAULT_DB
from arena.errors import ArenaError


def count(at_least: int = 1):
    """An argparse type: a whole number of at least `at_least` (named "number", like
    arena.cli.console.number, so every numeric flag is checked the same way)."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if v < at_least:
            raise argparse.ArgumentTypeError(f"{text} must be at least {at_least}")
        return v

    parse.__name__ = "number"
    return parse


def add_parsers(sub) -> None:
    from arena.cli.console import number

    p = sub.add_parser("team", help="teams that may submit through `arena serve` (each has a secret token)")
    teams = p.add_subparsers(dest="team_command", required=True, metavar="ACTION")
    q = teams.add_parser("add", help="create a team; prints its token (once: only its hash is stored)")
    q.add_argument("name")
    q.add_argument("--db", default=str(DEFAULT_DB))
    q.set_defaults(func=cmd_team_add)
    q = teams.add_parser("list", help="list the teams (never their tokens)")
    q.add_argument("--db", default=str(DEFAULT_DB))
    q.set_defaults(func=cmd_team_list)

    p = sub.add_parser("worker", help="evaluate the queued submissions of `arena serve` (admit, validate, play)")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--workers", type=count(1), default=1, help="matches played at once (default 1)")
    p.add_argument("--backend", default="local", choices=("local", "ray"))
    p.add_argument("--address", default=None, help="Ray cluster address (default: a local Ray instance)")
    p.add_argument("--once", action="store_true", help="stop when no job is left instead of waiting for more")
    p.add_argument("--seeds", type=count(1), default=3, help="seeds each submission plays per world (default 3)")
    p.add_argument("--poll", type=number(above=0), default=1.0, help="s between looks at an empty queue (default 1)")
    p.set_defaults(func=cmd_worker)


def cmd_team_add(args) -> int:
    from arena.compete.store import Store
    from arena.compete.teams import add_team

    store = Store(args.db)
    try:
        token = add_team(store, args.name)
    finally:
        store.close()
    print(token)  # the only line on stdout: `TOKEN=$(arena team add NAME --db DB)`
    print(f"team {args.name} added to {args.db}; keep the token secret: it is shown only now", file=sys.stderr)
    return 0


def cmd_team_list(args) -> int:
    from arena.compete.store import Store
    from arena.compete.teams import teams

    if not Path(args.db).is_file():  # listing never creates a database
        raise ArenaError(f"no results database at {args.db} (fix: `arena team add NAME --db {args.db}` creates it "
                         "with a first team, or pass the --db that `arena serve` uses)")
    store = Store(args.db)
    try:
        found = teams(store)
    finally:
        store.close()
    if not found:
        print(f"no teams in {args.db}: `arena team add NAME --db {args.db}` adds one")
    for t in found:
        print(f"{t['name']}  created {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(t['created']))}")
    return 0


def _printable(text: str) -> str:
    """A log line safe for a terminal: a controller's error text may hold escape sequences."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt  # SIGTERM (a server stopping its workers): give the job back, not a crash


def cmd_worker(args) -> int:
    from arena.compete.jobs import work
    from arena.compete.store import Store

    Store(args.db).close()  # a --db that is not a results store is refused before the start line
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"arena worker on {args.db}: {args.workers} {args.backend} worker(s), {args.seeds} seed(s)"
          + (", until the queue is empty" if args.once else ", waiting for jobs (Ctrl-C stops)"), flush=True)
    n = work(args.db, workers=args.workers, backend=args.backend, once=args.once, poll_s=args.poll,
             seeds=args.seeds, address=args.address, log=lambda line: print(_printable(line), flush=True))
    print(f"{n} job(s) processed")
    return 0

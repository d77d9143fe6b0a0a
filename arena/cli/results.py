"""Printing what the results store holds: stored matches (their ids, for `arena replay`), one
line per finished match when the output is not a terminal, and progress for slow computations."""

from __future__ import annotations

import json
import time


def match_line(world: str, seed: int, mid: str, players: list[dict]) -> str:
    """One finished match as a plain line: world, seed, each player's points and time, its id."""
    who = " vs ".join(f"{p['agent']} {p['status']} {p['total']:.2f} pts {p['tiebreak']:.1f} s" for p in players)
    return f"{world} seed {seed}: {who}  match {mid}"


def print_matches(matches: list[dict], console) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table(title="Matches, newest first", title_justify="left",
              caption="replay one: arena replay MATCH_ID --db DB [--verify] [--gif out.gif]", caption_justify="left")
    for col, just in (("match id", "left"), ("world", "left"), ("seed", "right"), ("players: status, points, time",
                                                                                  "left"), ("stored", "left")):
        t.add_column(col, justify=just, no_wrap=col == "match id")
    for m in matches:
        who = "\n".join(f"{escape(p['agent'])} {p['status']} {p['total']:.2f} ({p['tiebreak']:.1f} s)"
                        for p in m["players"])
        t.add_row(m["match_id"], escape(m["world"]), str(m["seed"]), who,
                  time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(m["created"])))
    console.print(t)


def matches_json(matches: list[dict]) -> str:
    return json.dumps(matches, sort_keys=True)


class SlowProgress:
    """progress(done, total, name) callbacks that show nothing until `after` s have passed, then a
    bar on a terminal (stderr) or a line per step otherwise: stdout stays clean for --format json."""

    def __init__(self, what: str, after: float = 2.0):
        from rich.console import Console

        self.what, self.after, self.t0 = what, after, time.monotonic()
        self.err = Console(stderr=True, highlight=False)
        self.bar = self.task = None

    def __call__(self, done: int, total: int, name: str) -> None:
        if time.monotonic() - self.t0 < self.after:
            return
        if not self.err.is_terminal:
            self.err.print(f"{self.what}: {done}/{total} ({name})", markup=False)
            return
        if self.bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                console=self.err, transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.what, total=total)
        self.bar.update(self.task, completed=done, description=f"{self.what} ({name})")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

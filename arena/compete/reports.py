"""Leaderboards as text: rich tables, JSON, CSV and a standalone HTML page."""

from __future__ import annotations

import csv
import html
import io
import json
import time

from arena import __version__
from arena.compete.ranking import Standing

COLUMNS = ("rank", "agent", "robot", "rating", "rating_lo", "rating_hi", "skill", "mean", "mean_lo", "mean_hi",
           "tiebreak", "median", "runs", "failures", "wins", "comparisons", "best_match")
# One line under every table: what decides a game and what the rating is.
RATING_LINE = ("rating: who beat whom per game (more points, at equal points less time), Bradley-Terry, Elo scale, "
               "1500 = average, [95 %] seeded bootstrap")
COLUMNS_LINE = ("points: mean [95 % bootstrap over runs]; time: mean tie-break time (s); best match: its best run, "
                "`arena replay ID --db DB` shows it")


def _title(world: str) -> str:
    return "Overall (all worlds)" if world == "overall" else world


def as_json(board: dict[str, list[Standing]]) -> str:
    """One flat list of rows, each with its world ("overall" for the table over all worlds)."""
    return json.dumps([{"world": w, **s.as_dict()} for w, rows in board.items() for s in rows], sort_keys=True)


def as_csv(board: dict[str, list[Standing]]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(("world", *COLUMNS))
    for world, rows in board.items():
        for s in rows:
            d = s.as_dict()
            # a name starting with = + - @ would be a formula in a spreadsheet
            d["agent"] = ("'" + d["agent"]) if d["agent"][:1] in "=+-@" else d["agent"]
            w.writerow((world, *(round(d[c], 4) if isinstance(d[c], float) else d[c] for c in COLUMNS)))
    return out.getvalue()


def print_tables(board: dict[str, list[Standing]], console) -> None:
    from rich.markup import escape
    from rich.table import Table

    for world, rows in board.items():
        t = Table(title=f"Leaderboard - {_title(world)}", title_justify="left",
                  caption=f"{RATING_LINE}\n{COLUMNS_LINE}", caption_justify="left")
        # skill (openskill) and median are in the JSON, CSV and HTML: the terminal keeps to 140 columns
        for col, just in (("#", "right"), ("agent", "left"), ("robot", "left"), ("rating [95 %]", "right"),
                          ("points [95 %]", "right"), ("time (s)", "right"), ("runs", "right"), ("failed", "right"),
                          ("best match", "left")):
            t.add_column(col, justify=just, no_wrap=col not in ("agent", "robot"), min_width=10 if col == "agent"
                         else None)
        for s in rows:
            t.add_row(str(s.rank), escape(s.agent), escape(s.robot),
                      f"{s.rating:.0f} [{s.rating_lo:.0f}, {s.rating_hi:.0f}]",
                      f"{s.mean:.2f} [{s.mean_lo:.2f}, {s.mean_hi:.2f}]", f"{s.tiebreak:.2f}",
                      str(s.runs), str(s.failures), s.best_match)
        console.print(t)
    if not board:
        console.print("no results yet: run `arena demo`, `arena tournament` or `arena run ... --db PATH`")


def as_html(board: dict[str, list[Standing]]) -> str:
    """A standalone page (inline CSS, no scripts, every name escaped)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>Kit Arena leaderboard</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
        "table{border-collapse:collapse;margin-bottom:2rem}th,td{padding:.3rem .7rem;border-bottom:1px solid #ddd}"
        "th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
        ".ci{color:#777;font-size:.85em}caption{text-align:left;font-weight:600;font-size:1.2em;padding:.4rem 0}"
        "</style></head><body>",
        "<h1>Kit Arena leaderboard</h1>",
        f"<p>Generated {e(time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()))} by kit-arena {e(__version__)}.</p>",
        f"<p>{e(RATING_LINE)}.<br>{e(COLUMNS_LINE)}.</p>",
    ]
    if not board:
        parts.append("<p>No results yet.</p>")
    for world, rows in board.items():
        parts.append(f"<table><caption>{e(_title(world))}</caption><thead><tr><th>#</th><th>agent</th><th>robot</th>"
                     "<th>rating</th><th>points</th><th>time (s)</th><th>skill</th><th>median</th><th>runs</th>"
                     "<th>failures</th><th>best match</th></tr></thead><tbody>")
        for s in rows:
            parts.append(
                f"<tr><td class=n>{s.rank}</td><td>{e(s.agent)}</td><td>{e(s.robot)}</td>"
                f"<td class=n>{s.rating:.0f} <span class=ci>[{s.rating_lo:.0f}, {s.rating_hi:.0f}]</span></td>"
                f"<td class=n>{s.mean:.2f} <span class=ci>[{s.mean_lo:.2f}, {s.mean_hi:.2f}]</span></td>"
                f"<td class=n>{s.tiebreak:.2f}</td><td class=n>{s.skill:.1f}</td>"
                f"<td class=n>{s.median:.2f}</td><td class=n>{s.runs}</td><td class=n>{s.failures}</td>"
                f"<td><code>{e(s.best_match)}</code></td></tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

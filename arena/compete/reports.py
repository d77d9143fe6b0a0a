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
           "median", "runs", "failures", "wins", "comparisons")


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
                  caption="rating: Bradley-Terry (Elo scale) with 95 % bootstrap interval; skill: openskill "
                          "mu - 3 sigma; score: mean with 95 % bootstrap interval", caption_justify="left")
        for col, just in (("#", "right"), ("agent", "left"), ("robot", "left"), ("rating [95 %]", "right"),
                          ("skill", "right"), ("mean score [95 %]", "right"), ("median", "right"),
                          ("runs", "right"), ("failures", "right")):
            t.add_column(col, justify=just)
        for s in rows:
            t.add_row(str(s.rank), escape(s.agent), escape(s.robot),
                      f"{s.rating:.0f} [{s.rating_lo:.0f}, {s.rating_hi:.0f}]", f"{s.skill:.1f}",
                      f"{s.mean:.2f} [{s.mean_lo:.2f}, {s.mean_hi:.2f}]", f"{s.median:.2f}", str(s.runs),
                      str(s.failures))
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
        f"<p>Generated {e(time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()))} by kit-arena {e(__version__)}. "
        "Rating: Bradley-Terry on the Elo scale with a 95&nbsp;% bootstrap interval; skill: openskill "
        "&mu;&nbsp;&minus;&nbsp;3&sigma;; score: mean with a 95&nbsp;% bootstrap interval.</p>",
    ]
    if not board:
        parts.append("<p>No results yet.</p>")
    for world, rows in board.items():
        parts.append(f"<table><caption>{e(_title(world))}</caption><thead><tr><th>#</th><th>agent</th><th>robot</th>"
                     "<th>rating</th><th>skill</th><th>mean score</th><th>median</th><th>runs</th><th>failures</th>"
                     "</tr></thead><tbody>")
        for s in rows:
            parts.append(
                f"<tr><td class=n>{s.rank}</td><td>{e(s.agent)}</td><td>{e(s.robot)}</td>"
                f"<td class=n>{s.rating:.0f} <span class=ci>[{s.rating_lo:.0f}, {s.rating_hi:.0f}]</span></td>"
                f"<td class=n>{s.skill:.1f}</td>"
                f"<td class=n>{s.mean:.2f} <span class=ci>[{s.mean_lo:.2f}, {s.mean_hi:.2f}]</span></td>"
                f"<td class=n>{s.median:.2f}</td><td class=n>{s.runs}</td><td class=n>{s.failures}</td></tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

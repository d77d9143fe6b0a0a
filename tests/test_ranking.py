"""Ratings and standings: pure functions of result rows; no pybullet."""

import subprocess
import sys

import numpy as np

from arena.compete import ranking


def row(agent, seed, total, status="OK", players=1, match=None, player=0, world="W-v0", tiebreak=10.0):
    return {"match_id": match or f"{world}-{agent}-{seed}", "player": player, "world": world, "agent": agent,
            "agent_hash": f"h{agent}", "robot": "rover", "seed": seed, "status": status, "total": total,
            "tiebreak": tiebreak, "engine": "0", "players": players}


def test_ranking_and_store_never_import_pybullet():
    code = "import sys, arena.compete.ranking, arena.compete.store, arena.compete.reports, arena.compete.boards; print('pybullet' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_bootstrap_interval_brackets_the_mean_and_is_reproducible():
    x = np.arange(20.0)
    lo, hi = ranking.bootstrap_ci(x)
    assert lo < x.mean() < hi and (lo, hi) == ranking.bootstrap_ci(x)
    assert ranking.bootstrap_ci([3.0]) == (3.0, 3.0)


def test_bradley_terry_orders_by_wins_and_stays_finite_when_undefeated():
    pairs = [("a", "b", 1.0)] * 8 + [("b", "c", 1.0)] * 6 + [("a", "c", 1.0)] * 5 + [("b", "a", 1.0)] * 2
    r = ranking.bradley_terry(pairs, ["a", "b", "c"])
    assert r["a"] > r["b"] > r["c"] and all(np.isfinite(v) for v in r.values())
    assert abs(np.mean(list(r.values())) - 1500) < 1e-6


def test_solo_games_rank_by_score_then_tiebreak_and_failed_runs_keep_their_score():
    rows = [row("fast", s, 300.0, tiebreak=60.0) for s in range(4)] + \
           [row("slow", s, 300.0, tiebreak=90.0) for s in range(4)] + \
           [row("weak", s, 40.0, status="ERROR" if s == 0 else "OK") for s in range(4)]
    st = ranking.standings(rows, n_boot=50)
    assert [s.agent for s in st] == ["fast", "slow", "weak"]
    weak = st[2]
    assert weak.failures == 1 and weak.mean == 40.0 and weak.runs == 4
    assert st[0].skill > st[2].skill  # openskill agrees
    assert all(s.rating_lo <= s.rating <= s.rating_hi for s in st)


def test_in_a_duel_a_failed_controller_forfeits_whatever_its_score():
    rows = []
    for s in range(3):
        m = f"m{s}"
        rows += [row("crashy", s, 50.0, status="TIMEOUT", players=2, match=m, player=0),
                 row("steady", s, 10.0, players=2, match=m, player=1)]
    st = ranking.standings(rows, n_boot=20)
    assert [s.agent for s in st] == ["steady", "crashy"]
    assert st[0].wins == 3 and st[0].comparisons == 3


def test_leaderboard_has_an_overall_table_and_labels_versions():
    rows = [row("a", 0, 5.0), row("b", 0, 3.0), row("a", 0, 1.0, world="X-v0"), row("b", 0, 2.0, world="X-v0")]
    rows.append(dict(row("a", 1, 9.0), agent_hash="hother"))
    board = ranking.leaderboard(rows, n_boot=10)
    assert list(board) == ["W-v0", "X-v0", "overall"]
    assert {s.agent for s in board["W-v0"]} == {"a@ha", "a@hother", "b"}  # two versions of "a"
    assert ranking.leaderboard(rows, world="X-v0").keys() == {"X-v0"}


def test_three_runs_in_one_order_still_have_an_interval_and_it_is_reproducible():
    """LineFollow: every agent scores 300, the time decides; resampling the games gave [1858, 1858]."""
    rows = [row(a, s, 300.0, tiebreak=t + s) for s in range(3) for a, t in (("fast", 60.0), ("mid", 70.0),
                                                                            ("slow", 90.0))]
    st = ranking.standings(rows)
    assert [s.agent for s in st] == ["fast", "mid", "slow"]
    for s in st:
        assert s.rating_lo < s.rating < s.rating_hi
        assert s.rating_hi - s.rating_lo > 50  # three games leave real doubt
    again = ranking.standings(rows)
    assert [s.as_dict() for s in st] == [s.as_dict() for s in again]
    many = [row(a, s, 300.0, tiebreak=t + s) for s in range(60) for a, t in (("fast", 60.0), ("mid", 70.0),
                                                                             ("slow", 90.0))]
    wide = {s.agent: s.rating_hi - s.rating_lo for s in st}
    narrow = {s.agent: s.rating_hi - s.rating_lo for s in ranking.standings(many)}
    assert narrow["mid"] < wide["mid"]  # more games, less doubt about the middle one


def test_bradley_terry_matches_the_closed_form_for_two_players():
    # a beats b 3 times of 4 with half a virtual win and loss each against the reference: symmetric,
    # so the MAP difference d solves 3 - 4 s(d) + 0.5 (1 - 2 s(d/2)) = 0
    r = ranking.bradley_terry([("a", "b", 1.0)] * 3 + [("b", "a", 1.0)], ["a", "b"])
    d = (r["a"] - r["b"]) / ranking.ELO_SCALE

    def s(x):
        return 1 / (1 + np.exp(-x))

    assert abs(3 - 4 * s(d) + 0.5 * (1 - 2 * s(d / 2))) < 1e-8


def test_standings_show_the_tiebreak_time_and_each_agents_best_match():
    rows = [row("a", 0, 300.0, tiebreak=80.0), row("a", 1, 300.0, tiebreak=70.0), row("a", 2, 250.0, tiebreak=10.0),
            row("b", 0, 300.0, tiebreak=90.0), row("b", 1, 400.0, status="ERROR", tiebreak=5.0),
            row("b", 2, 300.0, tiebreak=85.0)]
    st = {s.agent: s for s in ranking.standings(rows, n_boot=20)}
    assert st["a"].tiebreak == (80.0 + 70.0 + 10.0) / 3
    assert st["a"].best_match == "W-v0-a-1"  # most points, then least time
    assert st["b"].best_match == "W-v0-b-2"  # a failed run is never the best one


def test_every_report_format_carries_the_time_and_the_best_match():
    import csv
    import io
    import json

    from rich.console import Console

    from arena.compete import reports

    board = ranking.leaderboard([row("a", s, 300.0, tiebreak=60.0) for s in range(3)] +
                                [row("b", s, 300.0, tiebreak=90.0) for s in range(3)], n_boot=20)
    js = json.loads(reports.as_json(board))
    assert js[0]["best_match"].startswith("W-v0-a-") and js[1]["best_match"].startswith("W-v0-b-")
    assert js[0]["tiebreak"] == 60.0 and js[1]["tiebreak"] == 90.0
    rows = list(csv.DictReader(io.StringIO(reports.as_csv(board))))
    assert rows[0]["best_match"].startswith("W-v0-a-") and rows[1]["tiebreak"] == "90.0"
    page = reports.as_html(board)
    assert "time (s)" in page and "W-v0-b-" in page and "Bradley-Terry" in page
    con = Console(width=140, record=True)
    reports.print_tables(board, con)
    text = con.export_text()
    assert "time (s)" in text and "60.00" in text and "90.00" in text and "W-v0-a-" in text
    assert reports.RATING_LINE in " ".join(text.split())  # one line under the table, unwrapped at 140


def test_leaderboard_reports_progress_per_table():
    rows = [row("a", 0, 5.0), row("b", 0, 3.0), row("a", 0, 1.0, world="X-v0"), row("b", 0, 2.0, world="X-v0")]
    seen = []
    ranking.leaderboard(rows, n_boot=10, progress=lambda d, t, n: seen.append((d, t, n)))
    assert seen == [(1, 3, "W-v0"), (2, 3, "X-v0"), (3, 3, "overall")]

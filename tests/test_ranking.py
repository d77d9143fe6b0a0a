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
    code = "import sys, arena.compete.ranking, arena.compete.store, arena.compete.reports; print('pybullet' in sys.modules)"
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

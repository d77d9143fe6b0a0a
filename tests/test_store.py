"""The results store: idempotent writes, leaderboard order."""

from arena.compete.store import Store
from arena.controllers.runner import EpisodeResult


def result(agent, seed, total, tiebreak=10.0, status="OK"):
    return EpisodeResult(world="LineFollow-v0", robot="rover", agent=agent, seed=seed, status=status, reason="",
                         score={"total": total, "tiebreak_s": tiebreak, "terms": {}, "finished": True},
                         steps=10, sim_time=0.1, wall_time=0.01, digest="d" * 32, isolation="rlimit",
                         agent_hash=f"h-{agent}")


def test_same_match_is_stored_once(tmp_path):
    s = Store(tmp_path / "r.sqlite")
    assert s.add(result("a", 0, 100.0))
    assert not s.add(result("a", 0, 100.0))
    assert s.add(result("a", 1, 50.0))
    assert s.db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 2


def test_leaderboard_orders_by_mean_then_tiebreak(tmp_path):
    s = Store(tmp_path / "r.sqlite")
    for r in (result("slow", 0, 300.0, 120.0), result("fast", 0, 300.0, 90.0), result("weak", 0, 40.0),
              result("weak", 1, 20.0, status="ERROR")):
        s.add(r)
    rows = s.leaderboard()
    assert [r["agent"] for r in rows] == ["fast", "slow", "weak"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    weak = rows[2]
    assert weak["runs"] == 2 and weak["mean"] == 30.0 and weak["failures"] == 1
    s.close()
    assert Store(tmp_path / "r.sqlite").leaderboard("Nope-v0") == []

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


# -- claims (leases): concurrent tournaments split the matches -------------------------------------
def _dead_pid() -> int:
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid  # reaped: no process has this pid (until the system reuses it)


def test_a_claim_is_exclusive_until_it_expires_or_its_owner_is_gone(tmp_path):
    import socket

    from arena.compete.store import claimant

    s = Store(tmp_path / "r.sqlite")
    me, other = claimant(), "elsewhere.example:1:abcd"
    assert s.claim("m1", me, lease=60) == "claimed"
    assert s.claim("m1", me, lease=60) == "claimed"  # the owner may claim again (a retry)
    assert s.claim("m1", other, lease=60) == "taken"
    t = s.claims()[0]["expires"]
    assert s.claim("m1", other, lease=60, now=t + 1) == "claimed"  # expired: taken over
    assert s.claims()[0]["owner"] == other
    # a claimant on this host whose process is gone: its lease is stale at once
    dead = f"{socket.gethostname()}:{_dead_pid()}:beef"
    assert s.claim("m2", dead, lease=3600) == "claimed"
    assert s.claim("m2", me, lease=60) == "claimed"
    # renew extends only the owner's own claims; release gives one back
    assert s.renew(["m1", "m2"], me, lease=600) == 1
    assert s.claim("m2", other, lease=60) == "taken"
    s.release("m2", me)
    assert s.claim("m2", other, lease=60) == "claimed"
    # storing a match ends its claim, and a stored match is never claimed again
    r = result("a", 0, 100.0)
    from arena.compete.store import result_match_id

    mid = result_match_id([r])
    assert s.claim(mid, other, lease=60) == "claimed"
    assert s.add(r)
    assert mid not in {c["match_id"] for c in s.claims()}
    assert s.claim(mid, me, lease=60) == "stored"


def test_two_connections_writing_at_once_lose_nothing(tmp_path):
    import threading

    errors = []

    def writer(agent):
        try:
            st = Store(tmp_path / "r.sqlite")
            for seed in range(40):
                st.claim(f"{agent}-{seed}", agent, lease=60)
                st.add(result(agent, seed, float(seed)))
            st.close()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    Store(tmp_path / "r.sqlite").close()
    threads = [threading.Thread(target=writer, args=(a,)) for a in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Store(tmp_path / "r.sqlite").db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 120


# -- listing matches ---------------------------------------------------------------------------------
def test_matches_are_listed_newest_first_and_filtered(tmp_path):
    s = Store(tmp_path / "r.sqlite")
    for i, (agent, world) in enumerate((("a", "LineFollow-v0"), ("b", "LineFollow-v0"), ("a", "Maze-v0"))):
        r = result(agent, i, 10.0 * i)
        r.world = world
        s.add(r)
    got = s.matches()
    assert [m["seed"] for m in got] == [2, 1, 0]  # newest first
    assert got[0]["world"] == "Maze-v0" and got[0]["players"][0]["agent"] == "a"
    assert len(got[0]["match_id"]) == 32 and s.replay(got[0]["match_id"]) is None
    assert [m["seed"] for m in s.matches(world="LineFollow-v0")] == [1, 0]
    assert [m["seed"] for m in s.matches(agent="a")] == [2, 0]
    assert [m["seed"] for m in s.matches(agent="h-b")] == [1]  # by agent hash too
    assert len(s.matches(limit=1)) == 1
    assert s.worlds() == ["LineFollow-v0", "Maze-v0"] and s.agents() == ["a", "b"]


# -- the leaderboard is computed once per change of the results -----------------------------------
def test_the_board_is_cached_until_a_result_arrives(tmp_path, monkeypatch):
    from arena.compete import boards

    s = Store(tmp_path / "r.sqlite")
    for seed in range(3):
        s.add(result("fast", seed, 300.0, 60.0))
        s.add(result("slow", seed, 300.0, 90.0))
    calls = []
    real = boards.leaderboard
    monkeypatch.setattr(boards, "leaderboard", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = boards.board(s, n_boot=50)
    again = boards.board(Store(tmp_path / "r.sqlite"), n_boot=50)  # another process reading it
    assert len(calls) == 1
    assert {w: [x.as_dict() for x in r] for w, r in first.items()} == \
           {w: [x.as_dict() for x in r] for w, r in again.items()}
    assert [x.agent for x in again["LineFollow-v0"]] == ["fast", "slow"]
    boards.board(s, world="LineFollow-v0", n_boot=50)  # another question: computed
    assert len(calls) == 2
    s.add(result("slow", 3, 300.0, 50.0))
    assert boards.board(s, n_boot=50)["LineFollow-v0"][0].runs in (3, 4) and len(calls) == 3

"""Teams of the web arena: hashed tokens, refused tokens, rate limits counted in the store."""

import hashlib
import subprocess

import pytest
from conftest import arena_cmd

from arena.compete import jobs, teams
from arena.compete.store import Store
from arena.errors import ArenaError

CONTROLLER = b"class Controller:\n    def act(self, obs):\n        return {'B': 0.3, 'C': 0.3}\n"


def test_tokens_are_stored_hashed_and_only_a_team_token_opens(tmp_path):
    db = tmp_path / "r.sqlite"
    s = Store(db)
    a, b = teams.add_team(s, "alpha"), teams.add_team(s, "beta")
    assert a != b and len(a) == 43
    assert teams.team_for_token(s, a) == "alpha" and teams.team_for_token(s, b) == "beta"
    s.close()
    raw = b"".join(f.read_bytes() for f in tmp_path.iterdir() if f.is_file())  # the db and its WAL
    for token in (a, b):
        assert token.encode() not in raw
        assert hashlib.sha256(token.encode()).hexdigest().encode() in raw  # what is kept instead
    s = Store(db)
    assert [t["name"] for t in teams.teams(s)] == ["alpha", "beta"]
    assert all(set(t) == {"name", "created"} for t in teams.teams(s))


@pytest.mark.parametrize("token", [None, "", "x", "a" * 43, "a b" * 15, "é" * 43, "a" * 5000, 42, b"bytes" * 9])
def test_missing_malformed_and_unknown_tokens_are_refused(tmp_path, token):
    s = Store(tmp_path / "r.sqlite")
    good = teams.add_team(s, "alpha")
    assert teams.team_for_token(s, token) is None
    assert teams.team_for_token(s, good + "x") is None and teams.team_for_token(s, good[:-1]) is None


def test_bad_and_taken_team_names(tmp_path):
    s = Store(tmp_path / "r.sqlite")
    teams.add_team(s, "alpha")
    with pytest.raises(ArenaError, match=r"team 'alpha' exists already.*\(fix: "):
        teams.add_team(s, "alpha")
    for bad in ("", "Alpha", "<script>", "a" * 41, "-x", "a/b", "../x"):
        with pytest.raises(ArenaError, match=r"team name .*\(fix: arena team add my_team\)"):
            teams.add_team(s, bad)
    assert [t["name"] for t in teams.teams(s)] == ["alpha"]


def test_the_rate_limit_holds_across_connections(tmp_path, monkeypatch):
    monkeypatch.setenv("ARENA_SUBMIT_LIMIT", "2")
    monkeypatch.setenv("ARENA_SUBMIT_WINDOW_S", "3600")
    db = tmp_path / "r.sqlite"
    one, two = Store(db), Store(db)  # e.g. two server processes
    teams.add_team(one, "alpha")
    teams.add_team(one, "beta")
    first = jobs.enqueue(one, "alpha", "a1", CONTROLLER, "c.py", [])
    assert teams.rate_limit(two, "alpha") is None
    jobs.enqueue(two, "alpha", "a2", CONTROLLER, "c.py", [])
    reason = teams.rate_limit(one, "alpha")
    assert reason and reason.startswith("team alpha has submitted 2 times in the last hour; the limit is 2; "
                                        "try again in ") and "\n" not in reason
    with pytest.raises(teams.RateLimitError, match="the limit is 2"):
        jobs.enqueue(two, "alpha", "a3", CONTROLLER, "c.py", [])
    assert len(jobs.jobs(one, "alpha")) == 2  # the refused one left no job and no file
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir() if p.is_file()) == ["1.py", "2.py"]
    assert teams.rate_limit(one, "beta") is None  # per team
    created = jobs.job(one, first)["created"]
    assert "try again in 60 min" in teams.rate_limit(one, "alpha", now=created)
    assert teams.rate_limit(one, "alpha", now=created + 3600.5) is None  # the first one left the window
    monkeypatch.setenv("ARENA_SUBMIT_WINDOW_S", "90")
    assert teams.rate_limit(one, "alpha", now=created).endswith("in the last 90 s; the limit is 2; try again in 2 min")
    assert teams.rate_limit(one, "alpha", now=created + 45).endswith("try again in 45 s")


@pytest.mark.parametrize("var,value", [("ARENA_SUBMIT_LIMIT", "0"), ("ARENA_SUBMIT_LIMIT", "ten"),
                                       ("ARENA_SUBMIT_WINDOW_S", "nan"), ("ARENA_SUBMIT_WINDOW_S", "-5")])
def test_bad_limits_in_the_environment_are_one_line_errors(tmp_path, monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    s = Store(tmp_path / "r.sqlite")
    with pytest.raises(ArenaError, match=rf"^{var}='{value}': .*\(fix: .*\)$"):
        teams.rate_limit(s, "alpha")


def test_cli_team_add_prints_only_the_token_and_list_never_shows_it(tmp_path):
    db = str(tmp_path / "r.sqlite")
    p = subprocess.run(arena_cmd("team", "add", "alpha", "--db", db), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    token = p.stdout.strip()
    assert p.stdout == token + "\n" and teams.team_for_token(Store(db), token) == "alpha"
    p = subprocess.run(arena_cmd("team", "list", "--db", db), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0 and p.stdout.startswith("alpha  created ") and token not in p.stdout
    p = subprocess.run(arena_cmd("team", "add", "Alpha!", "--db", db), capture_output=True, text=True, timeout=600)
    assert p.returncode == 2 and p.stdout == "" and len(p.stderr.strip().splitlines()) == 1
    assert "team name 'Alpha!'" in p.stderr and "Traceback" not in p.stderr


def test_cli_team_list_on_a_missing_database_says_so_and_creates_nothing(tmp_path):
    db = tmp_path / "nowhere" / "r.sqlite"
    p = subprocess.run(arena_cmd("team", "list", "--db", str(db)), capture_output=True, text=True, timeout=600)
    assert p.returncode == 2 and "no results database at" in p.stderr and "(fix: " in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "nowhere").exists()

"""Opening a results database: every wrong --db is one clear line naming the file and the fix."""

import os
import sqlite3
import subprocess

import pytest
from conftest import arena_cmd

from arena.compete import storefile
from arena.compete.store import SCHEMA_VERSION, Store
from arena.errors import ArenaError


def refused(path, match):
    with pytest.raises(ArenaError) as e:
        Store(path)
    msg = str(e.value)
    assert match in msg and "(fix: " in msg and "\n" not in msg, msg
    return msg


def test_a_file_that_is_not_a_database(tmp_path):
    f = tmp_path / "some.toml"
    f.write_text('[world]\nid = "x"\n' * 20)
    msg = refused(f, "not a results database")
    assert msg.startswith(str(f)) and "'[world]" in msg
    assert f.read_text().startswith("[world]")  # untouched


def test_a_damaged_database(tmp_path):
    f = tmp_path / "r.sqlite"
    Store(f).close()
    data = f.read_bytes()
    f.write_bytes(data[:16] + b"\xff" * (len(data) - 16))  # the header survives, the pages do not
    refused(f, "damaged")


def test_a_folder_and_a_folder_that_cannot_be_made(tmp_path):
    refused(tmp_path, "is a folder, not a results database")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    refused(blocker / "r.sqlite", "cannot create its folder")


def test_an_unreadable_file(tmp_path, monkeypatch):
    f = tmp_path / "r.sqlite"
    Store(f).close()

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(storefile, "open", denied, raising=False)  # root reads any file: simulate the refusal
    refused(f, "permission denied")


def test_a_read_only_database_is_refused_with_its_fix(tmp_path, monkeypatch):
    f = tmp_path / "r.sqlite"
    with sqlite3.connect(f) as db:  # a rollback-journal store: opening it needs a write
        db.execute("CREATE TABLE matches (match_id TEXT)")
    real = sqlite3.connect
    # root writes any file: open it read-only, as a user without write permission would
    monkeypatch.setattr(sqlite3, "connect",
                        lambda path, *a, **k: real(f"file:{os.fsdecode(path)}?mode=ro", *a, uri=True, **k))
    refused(f, "cannot open it for writing")


def test_a_database_of_another_application_is_left_alone(tmp_path):
    f = tmp_path / "other.db"
    with sqlite3.connect(f) as db:
        db.execute("CREATE TABLE users (id INTEGER, name TEXT)")
        db.execute("PRAGMA user_version = 7")
    refused(f, "another application (tables users)")
    with sqlite3.connect(f) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["users"]


def test_a_database_of_another_schema(tmp_path):
    f = tmp_path / "odd.sqlite"
    with sqlite3.connect(f) as db:
        db.execute("CREATE TABLE matches (id INTEGER, what TEXT)")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    refused(f, "table matches has no column match_id")


def test_a_store_from_a_newer_arena(tmp_path):
    f = tmp_path / "new.sqlite"
    Store(f).close()
    with sqlite3.connect(f) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    refused(f, f"schema {SCHEMA_VERSION + 1} was written by a newer kit-arena")


def test_an_empty_file_and_a_path_that_is_not_utf8_open(tmp_path):
    f = tmp_path / "empty.sqlite"
    f.write_bytes(b"")
    Store(f).close()  # SQLite takes an empty file as a new database
    odd = os.fsdecode(os.fsencode(tmp_path) + b"/r\xff.sqlite")
    s = Store(odd)
    assert s.leaderboard() == []
    s.close()
    bad = os.fsdecode(os.fsencode(tmp_path) + b"/b\xfe.sqlite")
    with open(bad, "w") as fh:
        fh.write("not sqlite")
    assert "b\\xfe.sqlite: not a results database" in refused(bad, "not a results database")


@pytest.mark.parametrize("command", [
    ["leaderboard"],
    ["replay", "0123456789abcdef0123456789abcdef"],
    ["tournament", "--world", "line-follow", "--seeds", "1"],
    ["demo", "--seeds", "1"],
    ["submit", "agents/line_follower", "--name", "x"],
    ["eval", "--world", "line-follow", "--agent", "line_follower", "--seeds", "1"],
    ["run", "--world", "line-follow", "--agent", "line_follower"],
])
def test_every_command_that_takes_db_says_one_line(tmp_path, command):
    f = tmp_path / "some.toml"
    f.write_text('[robot]\nname = "x"\n')
    p = subprocess.run(arena_cmd(*command, "--db", str(f)), capture_output=True, text=True, timeout=600,
                       cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.strip().splitlines() == [p.stderr.strip()] and "not a results database" in p.stderr
    assert "(fix: " in p.stderr

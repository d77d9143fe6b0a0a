"""`arena eval`, `arena tournament` and `arena leaderboard` as a user runs them."""

import csv
import io
import json
import sqlite3
import subprocess

import pytest
import tiny
from conftest import arena_cmd

ROOT = tiny.ROOT


def run(*args, cwd=None):
    return subprocess.run(arena_cmd(*args), capture_output=True, text=True, cwd=cwd, timeout=1800)


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    world = tiny.solo_world(d)
    evil = tiny.agent(d, "<evil>", tiny.CRASHER)  # a name that must be escaped in HTML
    db = d / "r.sqlite"
    p = run("tournament", "--world", str(world), "--agent", str(ROOT / "agents" / "line_follower"), "--agent",
            str(ROOT / "agents" / "bang_bang"), "--agent", str(evil), "--seeds", "2", "--db", str(db), cwd=d)
    return d, world, db, p


def test_tournament_prints_progress_summary_and_leaderboard(played):
    _, _, _, p = played
    assert p.returncode == 0, p.stderr
    assert "6 matches (0 already stored)" in p.stdout and "6 matches played" in p.stdout
    assert "Leaderboard - LineFollow-v0" in p.stdout and "ERROR" in p.stdout and "boom" in p.stdout


def test_leaderboard_formats(played):
    _, _, db, _ = played
    rows = json.loads(run("leaderboard", "--db", str(db), "--format", "json").stdout)
    assert {r["world"] for r in rows} == {"LineFollow-v0"}
    assert [r["agent"] for r in rows][0] == "line_follower" and rows[0]["rank"] == 1
    assert all(r["rating_lo"] <= r["rating"] + 1e-6 <= r["rating_hi"] + 2e-6 for r in rows)
    c = list(csv.DictReader(io.StringIO(run("leaderboard", "--db", str(db), "--format", "csv").stdout)))
    assert len(c) == 3 and c[0]["world"] == "LineFollow-v0" and float(c[0]["mean"]) > 0
    h = run("leaderboard", "--db", str(db), "--format", "html").stdout
    assert h.startswith("<!DOCTYPE html>") and "&lt;evil&gt;" in h and "<evil>" not in h
    assert "<script" not in h


def test_stored_matches_replay_by_id(played):
    d, _, db, _ = played
    with sqlite3.connect(db) as c:
        mid = c.execute("SELECT match_id FROM matches LIMIT 1").fetchone()[0]
    p = run("replay", mid, "--db", str(db), "--verify", "--out", str(d / "m.json.gz"), cwd=d)
    assert p.returncode == 0, p.stderr
    assert "OK verified" in p.stdout and (d / "m.json.gz").is_file()


def test_eval_reports_median_mean_interval_terms_and_failures(played):
    d, world, _, _ = played
    p = run("eval", "--world", str(world), "--agent", str(ROOT / "agents" / "line_follower"), "--seeds", "4", cwd=d)
    assert p.returncode == 0, p.stderr
    assert "median" in p.stdout and "95 % CI" in p.stdout and "laps" in p.stdout
    p = run("eval", "--world", str(world), "--agent", str(d / "<evil>.py"), "--seeds", "2", "--json", cwd=d)
    assert p.returncode == 1
    ev = json.loads(p.stdout)
    assert len(ev["failures"]) == 2 and all("boom" in f["reason"] for f in ev["failures"])
    assert ev["ci95"][0] <= ev["mean"] <= ev["ci95"][1]

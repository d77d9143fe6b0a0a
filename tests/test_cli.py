"""The `arena` command as a user runs it."""

import json
import subprocess
import sys

import pytest
from conftest import arena_cmd


def run(*args, cwd=None):
    return subprocess.run(arena_cmd(*args), capture_output=True, text=True, cwd=cwd, timeout=300)


def test_run_prints_a_score_card(root):
    p = run("run", "--world", "line-follow", "--robot", "rover", "--agent", str(root / "agents" / "line_follower"),
            "--seed", "0", cwd=root)
    assert p.returncode == 0, p.stderr
    for words in ("laps", "total", "status     OK", "sim time", "wall time"):
        assert words in p.stdout


def test_run_json_is_one_object_and_same_seed_same_card(root, tmp_path):
    args = ("run", "--world", "line-follow", "--agent", "agents/bang_bang", "--seed", "2", "--json")
    a, b = run(*args, cwd=root), run(*args, cwd=root)
    assert a.returncode == 0, a.stderr
    ra, rb = json.loads(a.stdout), json.loads(b.stdout)
    assert ra["status"] == "OK" and ra["score"]["total"] > 0
    ra.pop("wall_time"), rb.pop("wall_time")
    assert ra == rb


def test_bad_arguments_give_one_line_errors(root, tmp_path):
    p = run("run", "--world", "atlantis", "--agent", "agents/bang_bang", cwd=root)
    assert p.returncode == 2 and "no world 'atlantis'" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[parts]]\nid = "b"\npart = "ev3-brick"\npos = [0, 0]\n')
    p = run("run", "--world", "line-follow", "--robot", str(bad), "--agent", "agents/bang_bang", cwd=root)
    assert p.returncode == 2 and "parts[0].pos" in p.stderr and "Traceback" not in p.stderr
    p = run("run", "--world", "line-follow", cwd=root)
    assert p.returncode == 2 and "--agent" in p.stderr
    p = run("frobnicate")
    assert p.returncode == 2


def test_check_reports_good_and_bad_files(root, tmp_path):
    p = run("check", "robots/rover.toml", "worlds/line-follow.toml", cwd=root)
    assert p.returncode == 0 and "ok - robot 'rover'" in p.stdout and "ok - world LineFollow-v0" in p.stdout
    bad = tmp_path / "w.toml"
    bad.write_text('id = "X-v0"\ntime_limit = 10\n[mat]\nsize = [100, 100]\n')
    p = run("check", str(bad))
    assert p.returncode == 1 and "start" in p.stderr and "fix:" in p.stderr


def test_demo_stores_results_and_prints_a_leaderboard(root, tmp_path):
    db = tmp_path / "demo.sqlite"
    p = run("demo", "--db", str(db), "--seeds", "1", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Leaderboard - LineFollow-v0" in p.stdout
    assert "line_follower" in p.stdout and "bang_bang" in p.stdout
    lb = run("leaderboard", "--db", str(db), "--format", "json")
    rows = json.loads(lb.stdout)
    assert rows[0]["rank"] == 1 and rows[0]["mean"] >= rows[-1]["mean"]
    assert {"line_follower", "bang_bang", "brick_line_follower"} <= {r["agent"] for r in rows}
    assert "best run: " in p.stdout and (tmp_path / "best-run.gif").stat().st_size > 1000


def test_parts_and_list(root):
    p = run("parts")
    assert p.returncode == 0 and "motor-large" in p.stdout
    p = run("list")
    assert "line-follow" in p.stdout and "rover" in p.stdout and "line_follower" in p.stdout


def test_determinism_across_processes(root):
    code = ("from arena.controllers.runner import run_episode; r = run_episode('line-follow', 'rover', 'agents/line_follower', "
            "seed=5); print(r.digest, r.score['total'], r.steps)")
    outs = [subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert outs[0] == outs[1] and len(outs[0].split()[0]) == 32



def _commands(parser, prefix=()):
    """Every command path of the parser: (), ("run",), ("world", "show"), ..."""
    import argparse

    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*prefix, name))


def test_help_works_for_the_command_and_every_subcommand(capsys):
    """argparse formats help strings with %: an unescaped one crashed `arena --help`."""
    from arena.cli import build_parser, main

    paths = list(_commands(build_parser()))
    assert ("eval",) in paths and ("world", "show") in paths and ("robot", "urdf") in paths
    for path in paths:
        with pytest.raises(SystemExit) as exit_:
            main([*path, "--help"])
        assert exit_.value.code == 0, path
        out = capsys.readouterr().out
        assert out.startswith("usage: arena"), (path, out[:200])
    assert "95 % CI" in " ".join(build_parser().format_help().split())  # shown as written

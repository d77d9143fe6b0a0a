"""The `arena` command as a user runs it."""

import json
import re
import subprocess
import sys

import pytest
from conftest import arena_cmd

HANG = 1800  # s: only a hung command hits it; a busy machine is slow, not wrong


def run(*args, cwd=None):
    return subprocess.run(arena_cmd(*args), capture_output=True, text=True, cwd=cwd, timeout=HANG)


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
    p = run("demo", "--db", str(db), "--seeds", "1", "--world", "line-follow", cwd=tmp_path)  # a match per agent
    assert p.returncode == 0, p.stderr
    assert "Leaderboard - LineFollow-v0" in p.stdout
    assert "line_follower" in p.stdout and "bang_bang" in p.stdout
    n = int(re.search(r"(\d+) matches \(0 already stored\)", p.stdout).group(1))
    assert n >= 3  # every bundled agent that targets line-follow
    # not a terminal: a line per finished match (with its id) instead of a silent progress bar
    assert f"[1/{n}] LineFollow-v0 seed 0: " in p.stdout and f"[{n}/{n}] " in p.stdout
    assert f"{n} matches played by this process" in p.stdout and "match ids, newest first" in p.stdout
    assert "time (s)" in p.stdout and "best match" in p.stdout
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
    outs = [subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                           timeout=HANG).stdout
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


def _subparser(parser, path):
    import argparse

    for name in path:
        parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
    return parser


def test_every_numeric_flag_refuses_nan_inf_and_words_in_one_line(capsys):
    """`arena view ... --at nan` and `arena replay ... --until nan` gave tracebacks: no flag
    takes a plain float any more, each takes a finite number (arena.cli.console.number)."""
    from arena.cli import build_parser, main

    parser, checked = build_parser(), []
    for path in _commands(parser):
        for action in _subparser(parser, path)._actions:
            if action.type is float:
                checked.append(f"{' '.join(path)} {action.option_strings[0]}: a plain float")
            if getattr(action.type, "__name__", "") != "number" or not action.option_strings:
                continue
            for bad in ("nan", "inf", "-inf", "1e999", "ten"):
                with pytest.raises(SystemExit) as exit_:
                    main([*path, action.option_strings[0], bad])
                err = capsys.readouterr().err
                errors = [line for line in err.splitlines() if line.startswith("arena") and "error:" in line]
                assert exit_.value.code == 2 and len(errors) == 1 and action.option_strings[0] in errors[0], (path, bad)
                assert "Traceback" not in err
            checked.append(" ".join((*path, action.option_strings[0])))
    assert not [c for c in checked if "plain float" in c], checked
    assert {"view --at", "replay --until", "train --minutes", "run --step-ms", "tournament --lease"} <= set(checked)


# -- results: world names, paths and ids alike; match ids listed -------------------------------------
def _filled_store(path):
    from arena.compete.store import Store
    from arena.controllers.runner import EpisodeResult

    s = Store(path)
    for seed in range(3):
        for agent, t in (("fast", 60.0), ("slow", 90.0)):
            s.add(EpisodeResult(world="LineFollow-v0", robot="rover", agent=agent, seed=seed, status="OK", reason="",
                                score={"total": 300.0, "tiebreak_s": t + seed, "terms": {}, "finished": True},
                                steps=10, sim_time=0.1, wall_time=0.01, digest="d" * 32, isolation="rlimit",
                                agent_hash=f"h-{agent}"))
    s.close()


def test_every_command_takes_a_worlds_file_name_path_and_id_alike(root, tmp_path):
    from arena.content import world_id
    from arena.errors import NotFoundError

    assert world_id("line-follow") == world_id("LineFollow-v0") == world_id(root / "worlds" / "line-follow.toml") \
        == world_id("linefollow-v0") == "LineFollow-v0"
    assert world_id("Custom-v3", known=["Custom-v3"]) == "Custom-v3"  # a stored world needs no file
    with pytest.raises(NotFoundError, match=r"no world 'atlantis'.*line-follow \(LineFollow-v0\)"):
        world_id("atlantis")
    db = tmp_path / "r.sqlite"
    _filled_store(db)
    boards = [json.loads(run("leaderboard", "--db", str(db), "--world", w, "--format", "json", cwd=root).stdout)
              for w in ("line-follow", "LineFollow-v0", "worlds/line-follow.toml")]
    assert boards[0] and boards[0] == boards[1] == boards[2]
    assert [r["agent"] for r in boards[0]] == ["fast", "slow"] and boards[0][0]["tiebreak"] == 61.0
    p = run("leaderboard", "--db", str(db), "--world", "atlantis")
    assert p.returncode == 2 and "no world 'atlantis'" in p.stderr and "maze (Maze-v0)" in p.stderr
    assert "Traceback" not in p.stderr
    p = run("matches", "--db", str(db), "--world", "line-follow", "--format", "json")
    assert [m["seed"] for m in json.loads(p.stdout)] == [2, 2, 1, 1, 0, 0]


def test_match_ids_are_listed_by_the_leaderboard_and_arena_matches(tmp_path):
    db = tmp_path / "r.sqlite"
    _filled_store(db)
    from arena.compete.store import Store

    stored = Store(db).matches()
    ids = [m["match_id"] for m in stored]
    p = run("matches", "--db", str(db), "--agent", "slow", "--limit", "2")
    assert p.returncode == 0, p.stderr
    slow = [m["match_id"] for m in stored if m["players"][0]["agent"] == "slow"]
    assert slow[0] in p.stdout and slow[1] in p.stdout and slow[2] not in p.stdout  # newest first, limited
    assert "arena replay MATCH_ID" in p.stdout
    for fmt in ("table", "json", "csv", "html"):
        p = run("leaderboard", "--db", str(db), "--format", fmt)
        assert p.returncode == 0 and any(i in p.stdout for i in ids), fmt
    table = run("leaderboard", "--db", str(db)).stdout
    assert "time (s)" in table and "Bradley-Terry" in table
    p = run("matches", "--db", str(db), "--agent", "nobody")
    assert p.returncode == 2 and "no agent 'nobody'" in p.stderr and "fast, slow" in p.stderr
    p = run("matches", "--db", str(db), "--limit", "-1")
    assert p.returncode == 2 and "--limit" in p.stderr
    p = run("matches", "--db", str(tmp_path / "none.sqlite"))
    assert p.returncode == 2 and "no results database" in p.stderr


def test_a_slow_computation_shows_progress_on_stderr_only(capsys):
    from arena.cli.results import SlowProgress

    with SlowProgress("computing ratings", after=0.0) as progress:
        progress(1, 2, "LineFollow-v0")
        progress(2, 2, "overall")
    out, err = capsys.readouterr()
    assert out == "" and "computing ratings: 1/2 (LineFollow-v0)" in err and "2/2 (overall)" in err
    with SlowProgress("computing ratings", after=3600.0) as progress:
        progress(1, 1, "W")
    assert capsys.readouterr() == ("", "")

"""A corpus of broken robot and world files (tests/broken): `arena check` and `arena run` on each
give a clear one-line error naming the file and the offending key, never a traceback.

Each file starts with a comment saying what is wrong and `# expect: <key> | <phrase>` lines (an
empty key: the file as a whole); files that cannot hold a comment (empty, binary, not UTF-8) are
listed in tests/broken/index.toml instead.
"""

import subprocess
from pathlib import Path

import pytest
from conftest import arena_cmd

from arena.cli import main
from arena.tomlio import tomllib  # the stdlib's, or tomli on 3.10

BROKEN = Path(__file__).resolve().parent / "broken"
HANG = 1800  # s: only a hung command hits it


def _expectations() -> dict[Path, list[tuple[str, str]]]:
    index = tomllib.loads((BROKEN / "index.toml").read_text())
    out = {}
    for p in sorted([*BROKEN.glob("robots/*.toml"), *BROKEN.glob("worlds/*.toml")]):
        rel = p.relative_to(BROKEN).as_posix()
        if rel in index:
            out[p] = [tuple(index[rel])]
            continue
        lines = p.read_bytes().decode("utf-8", errors="replace").splitlines()
        assert lines and lines[0].startswith("# ") and "expect:" not in lines[0], f"{rel}: first line must say what is wrong"
        exp = [tuple(x.strip() for x in line.split("expect:", 1)[1].split("|", 1)) for line in lines
               if line.startswith("# expect:")]
        assert exp and all(phrase for _, phrase in exp), f"{rel}: no `# expect: key | phrase` line and not in index.toml"
        out[p] = exp
    return out


EXPECT = _expectations()


def _assert_clear(p: Path, rc: int, err: str, expect) -> None:
    assert rc != 0, f"{p.name}: exit status 0\n{err}"
    assert "Traceback" not in err and "Error:" not in err.replace("arena: error:", ""), err
    for key, phrase in expect:
        hits = [line for line in err.splitlines() if phrase in line and p.name in line
                and (not key or f": {key}: " in line)]
        assert hits, f"{p.name}: no line with key {key!r}, phrase {phrase!r} and the file's name in:\n{err}"


def test_the_corpus_is_big_and_covers_robots_and_worlds():
    robots = [p for p in EXPECT if p.parent.name == "robots"]
    worlds = [p for p in EXPECT if p.parent.name == "worlds"]
    assert len(EXPECT) >= 57 and len(robots) >= 20 and len(worlds) >= 20
    index = tomllib.loads((BROKEN / "index.toml").read_text())
    assert all((BROKEN / rel).is_file() for rel in index)


@pytest.mark.parametrize("path", sorted(EXPECT), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_check_names_the_file_and_the_key(path, capsys):
    rc = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert "ok -" not in out
    _assert_clear(path, rc, err, EXPECT[path])


def test_check_in_a_real_process():
    sample = [BROKEN / "robots" / "nan-pos.toml", BROKEN / "robots" / "sensor-floating-above.toml",
              BROKEN / "robots" / "binary.toml", BROKEN / "worlds" / "zone-center-nan.toml",
              BROKEN / "worlds" / "mat-huge.toml", BROKEN / "worlds" / "three-errors.toml"]
    p = subprocess.run(arena_cmd("check", *map(str, sample)), capture_output=True, text=True, timeout=HANG)
    assert p.returncode == 1
    for f in sample:
        _assert_clear(f, p.returncode, p.stderr, EXPECT[f])


RUN_ROBOTS = ["nan-pos", "inf-pos", "huge-pos", "sensor-floating-above", "wheel-off-motor", "too-many-parts",
              "binary", "empty", "latin-1", "extends-loop-a"]
RUN_WORLDS = ["zone-center-nan", "fixed-object-inf", "placed-object-nan", "mat-huge", "mat-too-many-pixels",
              "start-off-mat", "typo-time-limit", "mat-picture-huge", "binary", "utf-16"]


@pytest.mark.parametrize("kind, name", [("robots", n) for n in RUN_ROBOTS] + [("worlds", n) for n in RUN_WORLDS])
def test_run_refuses_with_one_clear_line(kind, name, capsys, root):
    f = BROKEN / kind / f"{name}.toml"
    agent = str(root / "agents" / "bang_bang")
    args = ["--robot", str(f), "--world", "line-follow"] if kind == "robots" else ["--world", str(f)]
    rc = main(["run", *args, "--agent", agent])
    _, err = capsys.readouterr()
    assert rc != 0 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("arena: error: ") and f.name in err, err
    key, phrase = EXPECT[f][0]
    if key and name != "extends-loop-a":  # a loop is named in the file that closes it
        assert f": {key}: " in err, err


def test_run_in_a_real_process(root):
    f = BROKEN / "robots" / "nan-pos.toml"
    p = subprocess.run(arena_cmd("run", "--world", "line-follow", "--robot", str(f), "--agent",
                                 str(root / "agents" / "bang_bang")), capture_output=True, text=True, timeout=HANG)
    assert p.returncode != 0 and "Traceback" not in p.stderr and "parts[7].pos[0]" in p.stderr and "finite" in p.stderr
    assert "JSON" not in p.stderr

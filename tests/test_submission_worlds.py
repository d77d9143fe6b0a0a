"""Which worlds a submission plays: asked for (--world), declared (agent.toml) or found by trial
episodes; written into the stored copy so tournaments never schedule it elsewhere. And the
`arena submit` output: rejection reasons print literally, with no markup tags."""

import re
import shutil
import subprocess

import pytest
import tiny
from conftest import arena_cmd

from arena.compete import tournament as T
from arena.compete.admission import admit, read_manifest, validate, with_worlds
from arena.compete.store import Store
from arena.compete.submissions import SubmissionError
from arena.errors import ArenaError

ROOT = tiny.ROOT


def short_maze(folder, time_limit=2.0):
    src = (ROOT / "worlds" / "maze.toml").read_text()
    f = folder / "tiny-maze.toml"
    f.write_text(re.sub(r"(?m)^time_limit = .*$", f"time_limit = {time_limit}", src))
    return f


def candidates(tmp_path):
    return [T.load_world_entry(w) for w in (tiny.solo_world(tmp_path), short_maze(tmp_path), tiny.duel_world(tmp_path))]


def test_worlds_are_added_to_a_manifest_or_replaced_in_it():
    files = {"controller.py": b"x"}
    assert with_worlds(files, ["A-v0"], "src")["agent.toml"].decode().startswith('worlds = ["A-v0"]')
    toml = b'# mine\nname = "m"\nrobot = "rover"\n\n[extra]\nworlds = 3\n'
    out = with_worlds({**files, "agent.toml": toml}, ["A-v0", "B-v0"], "src")
    man = read_manifest(out, "src", "m")
    assert man["worlds"] == ["A-v0", "B-v0"] and man["robot"] == "rover" and b"# mine" in out["agent.toml"]
    toml = b'name = "m"\nworlds = [\n  "X-v0",\n  "Y-v0",\n]\n'
    out = with_worlds({**files, "agent.toml": toml}, ["Y-v0"], "src")
    assert read_manifest(out, "src", "m")["worlds"] == ["Y-v0"]


@pytest.mark.parametrize("toml, words", [
    (b"worlds = 3\n", "worlds: expected a list"),
    (b'robot = "no_such_robot"\n', "robot: no robot"),
    (b"name = \n", "not valid TOML"),
    (b"name = '\xff'\n", "not UTF-8"),
])
def test_a_bad_manifest_is_one_clear_error_naming_its_key(toml, words):
    with pytest.raises(ArenaError, match=words) as e:
        read_manifest({"controller.py": b"x", "agent.toml": toml}, "'sub/agent.toml'", "m")
    assert str(e.value).startswith("'sub/agent.toml': ")


def test_asked_worlds_must_be_among_the_declared_ones(tmp_path):
    d = tmp_path / "mine"
    shutil.copytree(ROOT / "agents" / "line_follower", d)
    with pytest.raises(SubmissionError, match="declares worlds"):
        admit(d, "mine", "ada", tmp_path / "subs", ["maze"])


def test_asked_worlds_are_named_any_way_and_written_into_the_stored_copy(tmp_path):
    src = tiny.copies(tmp_path)[0]  # a single .py: no manifest
    sub, choice = admit(src, "mine", "ada", tmp_path / "subs", ["Maze-v0", str(ROOT / "worlds" / "sumo.toml"),
                                                               "maze"])
    assert choice.how == "asked" and [w.id for w in choice.worlds] == ["Maze-v0", "Sumo-v0"]
    assert T.load_agent(sub.path).worlds == ("Maze-v0", "Sumo-v0")


def test_trials_choose_the_solo_worlds_where_it_scores_and_tournaments_keep_to_them(tmp_path):
    src = tiny.copies(tmp_path)[0]
    worlds = candidates(tmp_path)
    seen = []
    sub, choice = admit(src, "mine", "ada", tmp_path / "subs", workers=2, candidates=worlds, on_trials=seen.append)
    assert seen == [["LineFollow-v0", "Maze-v0"]]  # the head-to-head world gets no trial
    assert choice.how == "trial" and [w.id for w in choice.worlds] == ["LineFollow-v0"]
    notes = "\n".join(choice.notes)
    assert "LineFollow-v0: chosen: the trial scored" in notes
    assert "Maze-v0: not chosen: the trial scored 0 points" in notes
    assert "LineDuel-v0: not chosen: a head-to-head world" in notes
    agent = T.load_agent(sub.path, "mine")
    assert agent.worlds == ("LineFollow-v0",)
    # before: no manifest meant every world, the duel and the maze included
    assert {j.world_id for j in T.schedule(worlds, [agent], [0])} == {"LineFollow-v0"}
    v = validate(sub, Store(tmp_path / "r.sqlite"), choice.worlds, seeds=2)
    assert v.accepted and [w.id for w in v.worlds] == ["LineFollow-v0"]
    assert {j.world_id for j in v.jobs} == {"LineFollow-v0"}


def test_a_controller_that_scores_nowhere_is_told_to_name_its_worlds(tmp_path):
    crash = tiny.agent(tmp_path, "crashy", tiny.CRASHER)
    with pytest.raises(SubmissionError) as e:
        admit(crash, "crashy", "ada", tmp_path / "subs", candidates=candidates(tmp_path)[:2])
    msg = str(e.value)
    assert "LineFollow-v0: not chosen: ERROR" in msg and "boom" in msg and "--world" in msg
    assert not (tmp_path / "subs").exists() or not any(p for p in (tmp_path / "subs").iterdir()
                                                       if not p.name.startswith("."))


# -- the command -----------------------------------------------------------------------------------
LITERAL = """
class Controller:
    def act(self, obs):
        raise RuntimeError("bad [bold]x[/bold] value [/] and [red]")
"""


def test_submit_prints_rejection_reasons_literally_without_markup_tags(tmp_path):
    world = tiny.solo_world(tmp_path)
    bad = tiny.agent(tmp_path, "brackets", LITERAL)
    p = subprocess.run(arena_cmd("submit", str(bad), "--name", "brackets", "--db", str(tmp_path / "r.sqlite"),
                                 "--world", str(world)), capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert p.returncode == 1, p.stderr + p.stdout
    line = next(x for x in p.stdout.splitlines() if x.startswith("rejected"))
    assert line.startswith("rejected: validation episode failed - ERROR")
    assert "bad [bold]x[/bold] value [/] and [red]" in line  # the controller's own text, as it wrote it
    assert not line.endswith("[/red]")  # the arena's own colour tags never show


def test_submit_without_worlds_plays_only_where_trials_score(tmp_path):
    src = tiny.copies(tmp_path)[0]
    db = tmp_path / "r.sqlite"
    p = subprocess.run(arena_cmd("submit", str(src), "--name", "mine", "--db", str(db), "--seeds", "1",
                                 "--workers", "2"), capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    assert p.returncode == 0, p.stderr + p.stdout
    out = p.stdout
    assert "a trial episode (seed 0) on each of 5 solo world(s)" in out
    assert "worlds for mine (chosen by trial episodes):" in out
    assert "LineFollow-v0: chosen" in out and "Sumo-v0: not chosen: a head-to-head world" in out
    assert "scheduled for mine on LineFollow-v0 " in out
    sub = Store(db).submissions()[0]
    assert T.load_agent(sub["path"]).worlds == ("LineFollow-v0",)

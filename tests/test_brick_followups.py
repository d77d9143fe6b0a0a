"""Issue 15's follow-ups: the bricks' messaging traffic travels in the replay (checked on load), and
`arena run --until-done` ends the run with the brick program."""

import json

import pytest

from arena.cli import main
from arena.compete.replay import build, parse, verify
from arena.content import resolve
from arena.errors import ArenaError
from tests.test_messaging import CLIENT, SERVER, pair, play

PROGRAM = """
from pybricks.tools import wait
wait(200)
print('done')
"""


def _replay(tmp_path):
    paths = pair(tmp_path, SERVER, CLIENT)
    rs = play(paths, record=True, hash_every=10)
    players = [{"robot": r.robot, "robot_file": "", "robot_hash": r.robot_hash, "agent": str(p),
                "agent_hash": r.agent_hash} for r, p in zip(rs, paths, strict=True)]
    return rs, build(str(resolve("worlds", "sumo")), rs[0].world, 0, players, rs, 10)


def test_the_messaging_traffic_is_in_the_replay_and_checked_on_load(tmp_path):
    rs, rep = _replay(tmp_path)
    assert rep["messages"] == rs[0].messages and any(m["event"] == "mail" for m in rep["messages"])
    back = parse(json.dumps(rep).encode(), "r.json")
    assert back["messages"] == rs[0].messages
    assert verify(back).ok
    bad_cases = [
        ("messages", {"t_s": 0}, "key messages must be a list"),
        ("event", "shout", "messages[0] must be a table with event connect or mail"),
        ("from", 3, "key messages[0].from must be str"),
        ("frame", "zz", "messages[0].frame must be hexadecimal"),
    ]
    first_mail = next(i for i, m in enumerate(rep["messages"]) if m["event"] == "mail")
    for key, value, msg in bad_cases:
        broken = json.loads(json.dumps(rep))
        if key == "messages":
            broken["messages"] = value
        else:
            broken["messages"] = broken["messages"][first_mail:]
            broken["messages"][0][key] = value
        with pytest.raises(ArenaError, match=msg.replace("[", r"\[").replace("]", r"\]")):
            parse(json.dumps(broken).encode(), "r.json")
    broken = json.loads(json.dumps(rep))
    connect = next(m for m in broken["messages"] if m["event"] == "connect")
    connect["ok"] = "yes"
    with pytest.raises(ArenaError, match=r"\.ok must be true or false"):
        parse(json.dumps(broken).encode(), "r.json")


def test_a_replay_without_traffic_has_no_messages_key(tmp_path):
    from arena.controllers.runner import run_episode

    prog = tmp_path / "p.py"
    prog.write_text(PROGRAM)
    r = run_episode("line-follow", None, prog, record=True, hash_every=10, until_done=True)
    player = {"robot": r.robot, "robot_file": "", "robot_hash": r.robot_hash, "agent": str(prog),
              "agent_hash": r.agent_hash}
    rep = build(str(resolve("worlds", "line-follow")), r.world, 0, [player], [r], 10)
    assert "messages" not in rep and parse(json.dumps(rep).encode(), "r.json")


def test_arena_run_until_done_ends_with_the_program(tmp_path, capsys):
    prog = tmp_path / "p.py"
    prog.write_text(PROGRAM)
    assert main(["run", "--world", "line-follow", "--agent", str(prog), "--json", "--until-done"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["status"] == "OK" and d["sim_time"] < 1.0  # line-follow's limit is far longer
    assert main(["run", "--world", "line-follow", "--agent", str(prog), "--until-done"]) == 0
    assert "program    ended at 0.2" in capsys.readouterr().out
    # without it the run plays to the world's time limit
    assert main(["run", "--world", "line-follow", "--agent", str(prog), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sim_time"] > 10.0


def test_arena_run_until_done_is_not_stored(tmp_path, capsys):
    prog = tmp_path / "p.py"
    prog.write_text(PROGRAM)
    code = main(["run", "--world", "line-follow", "--agent", str(prog), "--until-done", "--db", str(tmp_path / "a.db")])
    err = capsys.readouterr()
    assert code != 0 and "--until-done with --db" in err.out + err.err

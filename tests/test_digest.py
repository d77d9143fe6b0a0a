"""The run's digest (arena.match.Trajectory): the commands' binary encoding is canonical and
decodable, the chain is the same in every process and in both builds, and a recorded run hands its
encoded commands to the replay."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from arena.compete.replay import decode_commands
from arena.match import Match, Trajectory, command_bytes, trajectory_header

SAMPLES = [
    [{}],
    [{"B": 0.5, "C": -0.25}],
    [{"B": {"run": 312.5, "acc": 4322.87}, "C": {"stop": "hold"}}],
    [{"A": {"target": 90.0, "speed": 200.0, "then": "brake"}}, {}],
    [{}, {"B": 1.0}],
    [{"B": {"stop": "coast"}, "C": {"stop": "coast"}}, {"B": -0.0, "D": 1e-300}],
]


def test_commands_decode_to_what_was_encoded():
    blob = b"".join(command_bytes(s) for s in SAMPLES[:1] + SAMPLES[1:3])
    assert decode_commands(blob, 3, 1) == SAMPLES[:1] + SAMPLES[1:3]
    for s in SAMPLES[3:]:
        assert decode_commands(command_bytes(s), 1, len(s)) == [s]


def test_the_encoding_is_canonical_and_tells_every_difference_apart():
    assert command_bytes([{"B": 0.5, "C": 0.25}]) == command_bytes([{"C": 0.25, "B": 0.5}])
    assert command_bytes([{"B": {"run": 1.0, "acc": 2.0}}]) == command_bytes([{"B": {"acc": 2.0, "run": 1.0}}])
    different = [
        [{"B": 0.5}], [{"B": 0.5000000000000001}], [{"B": 0.0}], [{"B": -0.0}], [{"C": 0.5}],
        [{"B": {"dc": 0.5}}], [{"B": {"stop": "coast"}}], [{"B": {"stop": "brake"}}], [{"B": "coast"}],
        [{"B": 0.5}, {}], [{}, {"B": 0.5}], [{}], [{}, {}], [{"B": {"run": 0.5, "time": 0.5}}],
    ]
    blobs = [command_bytes(c) for c in different]
    assert len(set(blobs)) == len(blobs)


def test_a_name_too_long_to_encode_is_refused():
    with pytest.raises(ValueError, match="longer than 254 bytes"):
        command_bytes([{"B" * 300: 1.0}])


DIGEST_SCRIPT = """
import json, numpy as np
from arena import _speedups
from arena.match import Match, Trajectory, trajectory_header
m = Match("sumo")
m.reset(np.random.SeedSequence(7))
t = Trajectory(m, trajectory_header("Sumo-v0", [("r", "a"), ("r", "b")], 7, "test"), keep_tags=True)
for k in range(120):
    cmds = [{"B": 0.6, "C": 0.4 - k / 400}, {"B": {"run": 300.0 + k, "acc": 2000.0}, "C": {"stop": "hold"}}]
    m.step(cmds)
    t.step(cmds)
print(json.dumps([_speedups.active(), t.digest, t.tags.hex()[-16:]]))
"""


def test_two_processes_and_both_builds_give_the_same_digest(tmp_path):
    runs = []
    for pure in ("", "", "1"):
        env = dict(os.environ, ARENA_PURE_PYTHON=pure)
        p = subprocess.run([sys.executable, "-W", "ignore::RuntimeWarning", "-c", DIGEST_SCRIPT], env=env,
                           capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
    assert runs[2][0] is False  # the last one ran the pure Python modules
    assert runs[0][1:] == runs[1][1:] == runs[2][1:]


def test_the_trajectory_keeps_every_steps_commands_for_the_replay():
    m = Match("line-follow")
    m.reset(np.random.SeedSequence(1))
    t = Trajectory(m, trajectory_header("LineFollow-v0", [("r", "a")], 1, "test"), keep_tags=True)
    steps = [[{"B": 0.3, "C": 0.35}], [{"B": {"run": 200.0}}], [{}]]
    for cmds in steps:
        m.step(cmds)
        t.step(cmds)
    assert Trajectory(m, b"", keep_tags=False).commands is None
    m.close()
    assert decode_commands(bytes(t.commands), 3, 1) == steps


def test_an_unknown_trajectory_rule_is_refused():
    m = Match("line-follow")
    m.reset(np.random.SeedSequence(1))
    with pytest.raises(ValueError, match="rule must be 2 or 3"):
        Trajectory(m, b"", rule=1)
    m.close()


@pytest.mark.parametrize("world", ["line-follow", "sumo", "missions"])
def test_the_state_reuses_a_robots_pose_only_while_nothing_has_moved_it(world):
    m = Match(world, None)
    m.reset(np.random.SeedSequence(1))
    bodies = [r.body for r in m.robots] + list(m.object_bodies)

    def read_afresh() -> bytes:  # every body's state from pybullet, as before the reuse
        return m.sim.state_bytes(bodies)

    for _ in range(3):
        m.step([{"B": 0.6, "C": 0.2}] * m.players)
    assert m.state_bytes().startswith(read_afresh())
    r = m.robots[0]
    pos, quat = m.sim.pose(r.body)
    m.sim.set_pose(r.body, (pos[0] + 0.05, pos[1], pos[2]), quat)  # behind the robot's back
    assert r.state_generation != m.sim.generation
    assert m.state_bytes().startswith(read_afresh())
    m.sim.set_velocity(r.body, (0.1, 0.0, 0.0), (0.0, 0.0, 1.0))
    assert m.state_bytes().startswith(read_afresh())
    m.place_robot(0, 0.1, 0.1, 0.5)  # refreshes the robot's own reading
    assert r.state_generation == m.sim.generation
    assert m.state_bytes().startswith(read_afresh())
    m.close()

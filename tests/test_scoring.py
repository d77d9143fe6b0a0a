"""Every score term kind as a pure fold over hand-made snapshots (no physics)."""

import pytest

from arena.errors import SpecError
from arena.world.scene import World
from arena.world.scoring import KINDS, ObjectState, RobotState, Scorer, Snapshot
from arena.world.spec import load_world
from arena.world.terms import TERM_KINDS

WORLD = '''
id = "Terms-v0"
time_limit = 100
players = 2
[mat]
size = [1000, 1000]
[[zones]]
id = "a"
shape = "rect"
center = [-300, 0]
size = [200, 200]
[[zones]]
id = "b"
shape = "circle"
center = [300, 0]
radius = 100
[[zones]]
id = "ring"
shape = "circle"
center = [0, 0]
radius = 400
[[objects]]
id = "cube"
shape = "box"
size = [50, 50, 50]
pos = [0, 300]
[[start]]
pos = [0, 0]
[[start]]
pos = [100, 0]
{terms}
'''

TERMS = '''
[[score]]
name = "cps"
kind = "checkpoints"
zones = ["a", "b"]
values = [5, 7]
end = true
[[score]]
name = "reach"
kind = "reach_zone"
zone = "b"
[[score]]
name = "inside"
kind = "in_zone"
zone = "a"
[[score]]
name = "placed"
kind = "objects_in_zone"
zone = "b"
[[score]]
name = "bout"
kind = "knockout"
zone = "ring"
win = 3
draw = 1
[[score]]
name = "out"
kind = "out_of_bounds"
zone = "ring"
[[score]]
name = "bumps"
kind = "touch"
with = ["wall", "cube"]
[[score]]
name = "down"
kind = "toppled"
end = false
[[score]]
name = "bonus"
kind = "time_bonus"
zone = "b"
[[score]]
name = "t"
kind = "time"
'''


@pytest.fixture
def scorer(tmp_path):
    f = tmp_path / "w.toml"
    f.write_text(WORLD.replace("{terms}", TERMS))
    s = Scorer(World(load_world(f)), players=2)
    return s


def R(x, y, up=1.0):
    return RobotState(x, y, 0.0, up)


P1 = RobotState(0.1, 0.0, 0.0, 1.0)


def snap(t, p0, p1=P1, cube=(0.0, 0.3), touching=(frozenset(), frozenset())):
    return Snapshot(t, (p0, p1), (ObjectState(cube[0], cube[1], 0.025, 0.0, 1.0),), touching)


def test_every_kind_is_documented_and_implemented():
    assert set(TERM_KINDS) == set(KINDS)


def test_checkpoints_in_order_reach_and_time_bonus(scorer):
    scorer.update(snap(0.0, R(0, 0)))
    scorer.update(snap(1.0, R(0.3, 0.0)))  # b before a: the ordered checkpoint does not count yet
    v = scorer.values(0)
    assert v["cps"] == 0 and v["reach"] == 1 and v["bonus"] == pytest.approx(99.0)
    scorer.update(snap(2.0, R(-0.3, 0.0)))
    assert scorer.values(0)["cps"] == 5 and scorer.values(0)["inside"] == 1
    assert not scorer.finished
    scorer.update(snap(3.0, R(0.3, 0.0)))
    v = scorer.values(0)
    assert v["cps"] == 12 and v["inside"] == 0 and v["bonus"] == pytest.approx(99.0)  # first reach counts
    assert scorer.finished  # the last checkpoint has end = true
    assert scorer.card(0).tiebreak == pytest.approx(3.0)


def test_objects_in_zone_counts_where_they_are_now(scorer):
    scorer.update(snap(0.0, R(0, 0), cube=(0.3, 0.0)))
    assert scorer.values(0)["placed"] == 1 and scorer.values(1)["placed"] == 1
    scorer.update(snap(1.0, R(0, 0), cube=(0.0, 0.0)))
    assert scorer.values(0)["placed"] == 0


def test_knockout_win_loss_draw(scorer):
    scorer.update(snap(0.0, R(0, 0)))
    assert scorer.values(0)["bout"] == 1 and scorer.values(1)["bout"] == 1  # undecided: a draw
    scorer.update(snap(1.0, R(0, 0), R(0.45, 0.0)))  # player 1 out
    assert scorer.values(0)["bout"] == 3 and scorer.values(1)["bout"] == 0
    assert scorer.finished
    scorer.update(snap(2.0, R(0.5, 0), R(0.0, 0.0)))  # decided: stays
    assert scorer.values(0)["bout"] == 3


def test_knockout_simultaneous_is_a_draw_and_toppled_is_out(scorer):
    scorer.update(snap(0.0, R(0, 0, up=0.1), R(0.45, 0.0)))
    assert scorer.values(0)["bout"] == 1 and scorer.values(1)["bout"] == 1 and scorer.finished
    assert scorer.values(0)["down"] == 1 and scorer.values(1)["down"] == 0


def test_out_of_bounds_counts_exits(scorer):
    for t, x in enumerate([0.0, 0.5, 0.5, 0.0, 0.5]):
        scorer.update(snap(float(t), R(x, 0.0)))
    assert scorer.values(0)["out"] == 2


def test_touch_counts_new_contacts_with_what_it_names(scorer):
    seq = [set(), {"wall"}, {"wall"}, set(), {"wall", "robot"}, {"cube"}]
    t = 0.0
    for names in seq:
        t += 0.5
        scorer.update(snap(t, R(0, 0), touching=(frozenset(names), frozenset())))
    assert scorer.values(0)["bumps"] == 3  # wall, wall again after 0.5 s apart, cube; robots not counted
    # a flicker shorter than the release time is the same touch
    scorer.reset()
    for k, names in enumerate([{"wall"}, set(), {"wall"}]):
        scorer.update(snap(0.01 * k, R(0, 0), touching=(frozenset(names), frozenset())))
    assert scorer.values(0)["bumps"] == 1


def test_time_is_elapsed_and_card_is_data(scorer):
    scorer.update(snap(2.5, R(0, 0)))
    card = scorer.card(0)
    assert card.as_dict()["terms"]["t"]["value"] == 2.5


@pytest.mark.parametrize("term, key, words", [
    ('[[score]]\nname = "x"\nkind = "reach_zone"\nzone = "nowhere"\n', "score[0].zone", "no zone"),
    ('[[score]]\nname = "x"\nkind = "checkpoints"\nzones = ["a", "zz"]\n', "score[0].zones[1]", "zones"),
    ('[[score]]\nname = "x"\nkind = "checkpoints"\nzones = ["a"]\nvalues = [1, 2]\n', "score[0].values", "values"),
    ('[[score]]\nname = "x"\nkind = "touch"\nwith = ["sofa"]\n', "score[0].with[0]", "touch"),
    ('[[score]]\nname = "x"\nkind = "touch"\nmeasure = "vibes"\n', "score[0].measure", "unknown value"),
    ('[[score]]\nname = "x"\nkind = "time"\n[[score]]\nname = "x"\nkind = "time"\n', "score[1].name", "twice"),
    ('[[score]]\nname = "x"\nkind = "in_zone"\nzone = "a"\nradius = 3\n', "score[0].radius", "unknown key"),
])
def test_term_errors_name_the_key_and_the_fix(tmp_path, term, key, words):
    f = tmp_path / "w.toml"
    f.write_text(WORLD.replace("{terms}", term))
    with pytest.raises(SpecError) as err:
        load_world(f)
    assert err.value.key == key and words in str(err.value) and err.value.fix


@pytest.mark.parametrize("edit, key", [
    (('[[objects]]\nid = "cube"\nshape = "box"\nsize = [50, 50, 50]\npos = [0, 300]',
      '[[objects]]\nid = "cube"\nshape = "box"\nsize = [50, 50, 50]\nplace = "kitchen"'), "objects[0].place"),
    (('[[objects]]\nid = "cube"\nshape = "box"\nsize = [50, 50, 50]\npos = [0, 300]',
      '[[objects]]\nid = "cube"\nshape = "box"\nsize = [50, 50, 50]'), "objects[0].pos"),
    (('id = "b"\nshape = "circle"', 'id = "a"\nshape = "circle"'), "zones[1].id"),
    (('shape = "circle"\ncenter = [300, 0]\nradius = 100', 'shape = "circle"\ncenter = [300, 0]'), "zones[1].radius"),
    (('[[start]]\npos = [0, 0]', '[maze]\norigin = [0, 0]\ncells = [1, 4]\n[[start]]\npos = [0, 0]'), "maze.cells"),
])
def test_world_errors_name_the_key(tmp_path, edit, key):
    text = WORLD.replace("{terms}", '[[score]]\nname = "t"\nkind = "time"\n')
    assert edit[0] in text
    f = tmp_path / "w.toml"
    f.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(SpecError) as err:
        load_world(f)
    assert err.value.key == key and err.value.fix

"""The hot path's JSON and validation shortcuts give exactly what the general paths give (#19)."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from arena.controllers.host import LineReader, json_decoder, json_encoder
from arena.controllers.protocol import InvalidAction, act_line, validate_action

REF = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
OBJECTS = [{"type": "act", "t": 1230, "v": [9001.0, -0.0, 1e-300, [68.0, 67.0, 60.0], 2550, True, None, "é\n"]},
           [], {}, "text", 3, 0.1 + 0.2, {"a": {"b": [1, {"c": 2.5}]}}]


@pytest.mark.parametrize("obj", OBJECTS)
def test_encoder_gives_the_reference_text(obj):
    enc = json_encoder(allow_nan=False)
    assert enc(obj) == REF.encode(obj)
    assert enc(obj) == REF.encode(obj)  # built once, reused


def test_encoder_errors_match_and_it_recovers():
    enc = json_encoder(allow_nan=False)
    with pytest.raises(ValueError, match="Out of range float"):
        enc({"v": [1.0, math.nan]})
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        enc({"a": [1, loop]})
    with pytest.raises(TypeError, match="not JSON serializable"):
        enc({"a": [1, object()]})
    assert enc({"a": [1, 2]}) == '{"a":[1,2]}'  # no container left marked by the failures
    assert json_encoder()(math.inf) == "Infinity"
    assert json_encoder(default=repr)({"x": object}) == json.JSONEncoder(separators=(",", ":"), default=repr).encode({"x": object})


def _reject(name):
    raise ValueError(f"constant {name}")


TEXTS = ['{"type":"action","action":{"B":0.4,"C":-0.0}}', '{"a":1}\n', ' {"a":1}', '{"a":1} ', '{"a":1}\r\n',
         '{"a":1}{"b":2}', '{"a":1}\n\n', '{"a":NaN}', "[1,2", "", "3", '"x"', '{"a":1,}', "[" * 5000]


@pytest.mark.parametrize("text", TEXTS)
def test_decoder_gives_the_reference_result_or_error(text):
    ref = json.JSONDecoder(parse_constant=_reject)
    fast = json_decoder(ref)
    try:
        want = ref.decode(text)
    except (ValueError, RecursionError) as e:
        with pytest.raises(type(e)) as got:
            fast(text)
        assert str(got.value) == str(e)
    else:
        assert fast(text) == want


def _old_act_text(t_ms, values):
    plain = [v.tolist() if hasattr(v, "tolist") else v for v in values]
    return (REF.encode({"type": "act", "t": t_ms, "v": plain}) + "\n").encode()


def test_act_line_is_the_old_message():
    values = [9001.0, np.float32(0.3), np.float64(-0.0), np.int64(7), np.bool_(True), np.array([68.0, 67.5, 60.0]),
              [68.0, 67.0, 60.0], 2550, 1.0 / 3.0]
    assert act_line(120, values) == _old_act_text(120, values)
    assert json.loads(act_line(0, [])) == {"type": "act", "t": 0, "v": []}
    for bad in (math.nan, np.float32("inf")):
        with pytest.raises(ValueError):
            act_line(10, [1.0, bad])


@pytest.mark.parametrize("action", [{"B": 0.25, "C": -0.0}, {"B": 1.5, "C": -2.0}, {"B": 1.0, "C": -1.0}])
def test_validate_fast_path_clips_like_the_general_path(action):
    got = validate_action(action, ["B", "C"], ("S4",))
    want = {p: min(1.0, max(-1.0, float(v))) for p, v in action.items()}  # what _number + the clip give
    assert got == want and all(math.copysign(1, got[p]) == math.copysign(1, want[p]) for p in got)
    assert validate_action({p: int(v) for p, v in action.items() if v.is_integer()}, ["B", "C"]) == \
        {p: w for p, w in want.items() if action[p].is_integer()}


@pytest.mark.parametrize(("action", "reason"), [({"B": math.nan}, "duty for port B must be finite"),
                                                ({"C": -math.inf}, "duty for port C must be finite"),
                                                ({"X": 0.5}, "unknown motor port 'X'"),
                                                ({"S4": 1.0}, "port S4 (ultrasonic sensor): the only command")])
def test_validate_floats_the_fast_path_refuses_keep_their_reasons(action, reason):
    with pytest.raises(InvalidAction, match=reason.replace("(", r"\(").replace(")", r"\)")):
        validate_action(action, ["B", "C"], ("S4",))


def test_linereader_splits_and_joins_chunks():
    r, w = os.pipe()
    reader = LineReader(r)
    os.write(w, b'{"a":1}\n')
    assert reader.readline() == b'{"a":1}\n'
    os.write(w, b'{"b":2}\n{"c"')
    assert reader.readline() == b'{"b":2}\n'
    os.write(w, b':3}\n')
    assert reader.readline() == b'{"c":3}\n'
    os.write(w, b"partial")
    os.close(w)
    assert reader.readline() == b"partial"
    assert reader.readline() == b""
    os.close(r)

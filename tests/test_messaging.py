"""pybricks.messaging between the bricks of one match: the pybricks docs' server and client
programs exchange text, numbers and logic both ways through the arena, with pybricks' frames, a
fixed latency, in a deterministic order that the run's digest and replay keep."""

import struct
import textwrap

from arena.compete.replay import build, verify
from arena.controllers import radio
from arena.controllers.host import BRICK_DIR
from arena.controllers.protocol import INVALID, OK, InvalidAction
from arena.controllers.radio import LATENCY_STEPS, Radio, brick_names, mailbox_of
from arena.controllers.runner import run_match
from arena.controllers.sandbox import Limits
from tests.test_brick import report

HEAD = """
from pybricks.messaging import BluetoothMailboxServer, BluetoothMailboxClient
from pybricks.messaging import TextMailbox, NumericMailbox, LogicMailbox, Mailbox
from pybricks.tools import wait, StopWatch
import utime
"""

SERVER = """
server = BluetoothMailboxServer()
text = TextMailbox('greeting', server)
num = NumericMailbox('num', server)
flag = LogicMailbox('flag', server)
print('waiting')
server.wait_for_connection()
print('connected_ms =', utime.ticks_ms())
text.wait()
print('got =', text.read(), utime.ticks_ms())
text.send('hello client')
num.send(2.5)
flag.send(True)
print('sent_ms =', utime.ticks_ms())
print('num_back =', num.wait_new())
print('flag_back =', flag.wait_new())
print('end_ms =', utime.ticks_ms())
"""

CLIENT = """
client = BluetoothMailboxClient()
text = TextMailbox('greeting', client)
num = NumericMailbox('num', client)
flag = LogicMailbox('flag', client)
client.connect('ev3dev')
print('connected_ms =', utime.ticks_ms())
text.send('hello server')
print('unread =', num.read())
print('got =', text.wait_new(), utime.ticks_ms())
wait(10)  # sent in the same period as the text: already here (wait() would wait for a next one)
print('num =', num.read(), 'flag =', flag.read())
num.send(num.read() * 2 + 0.1)
wait(50)
flag.send(False)
wait(100)
"""


def pair(tmp_path, server: str, client: str):
    paths = []
    for name, body in (("server", server), ("client", client)):
        d = tmp_path / name
        d.mkdir(exist_ok=True)
        (d / "main.py").write_text(HEAD + textwrap.dedent(body))
        paths.append(d)
    return paths


def play(paths, **kw):
    return run_match("sumo", [(None, p) for p in paths], seed=0, limits=Limits(step_s=2.0), until_done=True, **kw)


def test_server_and_client_exchange_text_numbers_and_logic_both_ways(tmp_path):
    s, c = play(pair(tmp_path, SERVER, CLIENT))
    assert s.status == OK and c.status == OK, s.reason + s.output + c.reason + c.output
    sv, cv = report(s), report(c)
    # both start at 0: the server listens in the period the client connects; the answer takes
    # the way there and back
    assert int(cv["connected_ms"]) == 2 * LATENCY_STEPS * 10
    assert sv["got"] == f"hello server {(2 * LATENCY_STEPS + LATENCY_STEPS) * 10}"
    assert cv["unread"] == "None"
    assert cv["got"].startswith("hello client")
    assert cv["num"] == "2.5 flag = True"
    assert sv["num_back"] == str(struct.unpack("<f", struct.pack("<f", 5.1))[0])  # float32, as pybricks
    assert sv["flag_back"] == "False"
    assert c.messages == s.messages  # the match's log, in every player's result
    mails = [m for m in s.messages if m["event"] == "mail"]
    assert [(m["from"], m["mailbox"]) for m in mails] == [
        ("ev3dev-2", "greeting"), ("ev3dev", "greeting"), ("ev3dev", "num"), ("ev3dev", "flag"),
        ("ev3dev-2", "num"), ("ev3dev-2", "flag")]
    assert all(round(m["at_s"] - m["t_s"], 3) == LATENCY_STEPS * 0.01 for m in mails)
    # the frame is pybricks' WRITEMAILBOX: size, counter 1, 0x81, 0x9E, name with NUL, payload
    assert mails[0]["frame"] == (struct.pack("<HHBBB", 7 + 9 + 13, 1, 0x81, 0x9E, 9) + b"greeting\0"
                                 + struct.pack("<H", 13) + b"hello server\0").hex()
    assert s.as_dict()["messages"] == s.messages
    assert s.sim_time < 1.0  # until_done: the match ended with the two programs


def test_same_programs_same_traffic_and_digest(tmp_path):
    paths = pair(tmp_path, SERVER, CLIENT)
    a, b = play(paths), play(paths)
    assert a[0].digest == b[0].digest and a[0].messages == b[0].messages
    assert a[0].output == b[0].output and a[1].output == b[1].output


def test_a_replay_of_a_messaging_match_verifies(tmp_path):
    paths = pair(tmp_path, SERVER, CLIENT)
    rs = play(paths, record=True, hash_every=10)
    players = [{"robot": r.robot, "robot_file": "", "robot_hash": r.robot_hash, "agent": str(p),
                "agent_hash": r.agent_hash} for r, p in zip(rs, paths, strict=True)]
    from arena.content import resolve
    rep = build(str(resolve("worlds", "sumo")), rs[0].world, 0, players, rs, 10)
    v = verify(rep)
    assert v.ok, v


def test_connecting_to_a_brick_that_is_not_there_fails_as_pybricks(tmp_path):
    body = """
    client = BluetoothMailboxClient()
    for name in ('ev3dev-7', 'ev3dev-2'):
        try:
            client.connect(name)
        except ValueError as e:
            print('unknown', name, '=', e)
    try:
        client.connect('ev3dev')
    except OSError as e:
        print('refused =', e.errno, e, utime.ticks_ms())
    box = TextMailbox('x', client)
    try:
        box.send('hi', 'ev3dev')
    except OSError as e:
        print('notconn =', e.errno)
    box.send('nobody hears this')
    """
    idle = "wait(50)\n"  # player 0 never makes a server
    s, c = play(pair(tmp_path, idle, body))
    assert c.status == OK, c.reason + c.output
    v = report(c)
    assert v["unknown ev3dev-7"] == 'no paired devices matching "ev3dev-7" (bricks in this world: ev3dev)'
    assert v["unknown ev3dev-2"].startswith('no paired devices matching "ev3dev-2"')  # itself
    assert v["refused"].startswith("111 ") and "ECONNREFUSED" in v["refused"] and "no BluetoothMailboxServer" in v["refused"]
    assert v["notconn"] == "107"
    assert [m["event"] for m in c.messages] == ["connect"] and c.messages[0]["ok"] is False


def test_a_brick_whose_program_ended_is_down_and_a_server_waits_for_count(tmp_path):
    server = """
    server = BluetoothMailboxServer()
    server.wait_for_connection(1)
    box = NumericMailbox('n', server)
    box.wait()
    print('n =', box.read())
    """
    client = """
    c = BluetoothMailboxClient()
    c.connect('ev3dev')
    NumericMailbox('n', c).send(7)
    wait(200)
    try:
        BluetoothMailboxClient().connect('ev3dev')
    except OSError as e:
        print('down =', e.errno)
    """
    s, c = play(pair(tmp_path, server, client))
    assert s.status == OK and c.status == OK, s.output + c.output
    assert report(s)["n"] == "7.0"
    assert report(c)["down"] == "112"


def test_radio_orders_and_delays_in_process():
    r = Radio(3, 10)
    assert r.names == brick_names(3) == ["ev3dev", "ev3dev-2", "ev3dev-3"]
    # the client's connect comes before the server's listen in player order: listens go first
    assert r.submit(0, {0: [["connect", "ev3dev-3"]], 2: [["listen"]]}) == {}
    assert r.due(LATENCY_STEPS) == {2: [["accept", "ev3dev"]]}
    assert r.due(2 * LATENCY_STEPS) == {0: [["connected", "ev3dev-3"]]}
    frame = (struct.pack("<HHBBB", 7 + 2 + 1, 1, 0x81, 0x9E, 2) + b"m\0" + struct.pack("<H", 1) + b"\x01")
    assert mailbox_of(frame) == "m" and mailbox_of(frame[:-1]) is None
    r.submit(5, {2: [["send", ["ev3dev"], frame.hex()]], 0: [["send", ["ev3dev-3"], frame.hex()]]})
    assert r.due(5 + LATENCY_STEPS - 1) == {}
    assert r.due(5 + LATENCY_STEPS) == {0: [["mail", "ev3dev-3", frame.hex()]], 2: [["mail", "ev3dev", frame.hex()]]}
    bad = r.submit(6, {1: [["send", ["ev3dev"], "zz"]], 0: [["fly"]]})
    assert set(bad) == {0, 1} and all(isinstance(e, InvalidAction) for e in bad.values())
    r.switch_off(7, 2)
    assert r.due(7 + LATENCY_STEPS) == {0: [["closed", "ev3dev-3"]]}
    r.submit(8, {0: [["connect", "ev3dev-3"]]})
    assert r.due(8 + 2 * LATENCY_STEPS)[0][0][:3] == ["refused", "ev3dev-3", radio.EHOSTDOWN]


def test_a_malformed_messaging_request_is_invalid(tmp_path):
    body = """
    from pybricks._runtime import Runtime
    Runtime.current.bt_out.append(['send', ['ev3dev'], 'not hex'])
    wait(20)
    """
    s, c = play(pair(tmp_path, "wait(50)\n", body))
    assert c.status == INVALID and "messaging" in c.reason and s.status == OK


def test_the_brick_side_frame_limit_is_the_arena_one():
    src = (BRICK_DIR + "/pybricks/messaging.py")
    with open(src) as f:
        assert f"MAX_FRAME = {radio.MAX_FRAME}" in f.read()

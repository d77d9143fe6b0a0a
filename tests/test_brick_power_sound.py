"""The brick's speaker.play_file takes each file's real playing time (the ev3dev sounds from their
WAV headers, a program's own WAV from its header, a missing file fails as pybricks v2.0 fails), and
battery.current() is the brick's idle draw plus what the motors draw (docs/brick.md)."""

import io
import os
import struct
import sys
import textwrap
import wave
from dataclasses import replace
from pathlib import Path

import pytest

from arena.controllers.protocol import OK
from arena.controllers.runner import run_episode
from arena.controllers.sandbox import Limits
from arena.kit.catalogue import catalogue
from arena.kit.motors import Motor
from tests.test_brick import report

BRICK = Path(__file__).resolve().parent.parent / "arena" / "controllers" / "brick"
sys.path.insert(0, str(BRICK))
from pybricks import _wav  # noqa: E402 - the brick's own package, standard library only
from pybricks.hubs import IDLE_MA, SOUNDS_DIR  # noqa: E402
from pybricks.media._sound_lengths import SOUND_MS  # noqa: E402
from pybricks.media.ev3dev import SoundFile  # noqa: E402

# the arena process must never see the brick's pybricks (tests/test_brick.py): keep these modules only
sys.path.remove(str(BRICK))
for _name in [n for n in sys.modules if n == "pybricks" or n.startswith("pybricks.")]:
    del sys.modules[_name]


def wav_bytes(rate=22050, channels=1, width=2, frames=22050, extra_chunk=b"") -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(b"\x01" * (frames * channels * width))
    data = buf.getvalue()
    if extra_chunk:  # a chunk between "fmt " and "data", as editors write (LIST, fact)
        i = data.index(b"data")
        data = data[:i] + extra_chunk + data[i:]
    return data


# -- the WAV reader --------------------------------------------------------------------------------
@pytest.mark.parametrize("rate,channels,width,frames", [(22050, 1, 2, 22050), (8000, 1, 1, 4000),
                                                        (44100, 2, 2, 11025), (16000, 2, 3, 8000)])
def test_a_wav_plays_for_its_frames_over_its_rate(rate, channels, width, frames):
    assert _wav.duration_ms(wav_bytes(rate, channels, width, frames)) == pytest.approx(frames * 1000.0 / rate)


def test_chunks_before_the_data_are_skipped_with_their_padding():
    odd = b"LIST" + struct.pack("<I", 5) + b"abcde\x00"  # odd length: one pad byte follows
    assert _wav.duration_ms(wav_bytes(8000, 1, 1, 800, odd)) == pytest.approx(100.0)


def test_a_data_chunk_longer_than_the_file_plays_to_the_end_of_the_file():
    data = wav_bytes(8000, 1, 2, 8000)
    assert _wav.duration_ms(data[: len(data) - 8000]) == pytest.approx(500.0)


def test_a_file_that_is_not_a_wav_plays_as_aplay_raw_data_8_bit_8_khz():
    assert _wav.duration_ms(b"\x80" * 4000) == pytest.approx(500.0)


def test_a_compressed_wav_fails_as_aplay_does():
    data = bytearray(wav_bytes(8000, 1, 2, 100))
    data[20:22] = struct.pack("<H", 0x0011)  # IMA ADPCM
    with pytest.raises(RuntimeError, match=r"Playing file failed: x.wav: can't play WAVE-file format 0x0011"):
        _wav.duration_ms(bytes(data), "x.wav")


# -- the brick's own sounds ------------------------------------------------------------------------
def test_hostile_headers_fail_as_the_brick_does_not_with_another_error():
    zero_rate = bytearray(wav_bytes(8000, 1, 2, 100))
    zero_rate[24:28] = struct.pack("<I", 0)
    with pytest.raises(RuntimeError, match="0 Hz"):
        _wav.duration_ms(bytes(zero_rate), "z.wav")
    # WAVE_FORMAT_EXTENSIBLE declaring a 40-byte fmt chunk, the file cut right after its header
    cut = b"RIFF" + struct.pack("<I", 100) + b"WAVE" + b"fmt " + struct.pack("<I", 40) + \
        struct.pack("<HHIIHHH", 0xFFFE, 1, 8000, 16000, 2, 16, 22)  # ends before the subformat
    with pytest.raises(RuntimeError, match="cut short"):
        _wav.duration_ms(cut, "c.wav")


def test_a_fifo_or_a_device_is_refused_without_reading_it(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    with pytest.raises(RuntimeError, match="not a regular file"):
        _wav.file_ms(str(fifo))  # would block forever if it were opened for reading a whole file
    with pytest.raises(RuntimeError, match="not a regular file"):
        _wav.file_ms("/dev/zero")


def test_a_long_file_is_timed_from_its_header_and_size(tmp_path):
    f = tmp_path / "long.wav"
    f.write_bytes(wav_bytes(8000, 1, 1, 3 * _wav.HEAD_BYTES))  # more data than the reader reads
    assert _wav.file_ms(str(f)) == pytest.approx(3 * _wav.HEAD_BYTES * 1000.0 / 8000)


def test_every_soundfile_has_its_playing_time():
    names = {v for k, v in vars(SoundFile).items() if k.isupper()}
    assert len(names) == len(SOUND_MS) == 105
    for path in names:
        assert path.startswith(SOUNDS_DIR) and SOUND_MS[path[len(SOUNDS_DIR):-4]] > 0


def test_soundfile_times_are_the_headers_of_ev3dev_media():
    # data chunk sizes read from ev3dev-media ad93736's RIFF headers, 16-bit mono at 22050 Hz
    for key, data_bytes in {"expressions/boing": 0x8730, "expressions/smack": 5138,
                            "communication/hello": 43748, "animals/cat_purr": 151044}.items():
        assert SOUND_MS[key] == round(data_bytes / 2 / 22050 * 1000, 1)


# -- the motors' supply current --------------------------------------------------------------------
PUBLISHED = {"motor-nxt": (2000.0, 60.0), "motor-large": (1800.0, 45.0), "motor-medium": (800.0, 20.0)}


@pytest.mark.parametrize("pid", sorted(PUBLISHED))
def test_a_motor_draws_its_stall_current_at_rest_and_no_load_current_free_running(pid):
    part = catalogue()[pid]
    stall, no_load = PUBLISHED[pid]
    assert (part.param("stall_current_ma"), part.param("no_load_current_ma")) == (stall, no_load)
    m = Motor(part, "A", 1.0, "clockwise", 0.01)
    w0 = m.model.no_load_speed
    assert m.supply.ma(1.0, 0.0, 9.0) == pytest.approx(stall)
    assert m.supply.ma(-1.0, 0.0, 9.0) == pytest.approx(stall)
    assert m.supply.ma(1.0, w0, 9.0) == pytest.approx(no_load)
    # PWM: the battery feeds the winding in the on-time only, so half duty stalled draws less
    # than half the stall current (the winding sees the driver's dead band too)
    assert 0.0 < m.supply.ma(0.5, 0.0, 9.0) < stall / 2
    assert m.supply.ma(0.5, 0.0, 9.0) > m.supply.ma(0.5, 0.3 * w0, 9.0) > 0.0  # load raises it
    assert m.supply.ma(0.5, 0.6 * w0, 9.0) == 0.0  # past the duty's no-load speed: regenerating
    assert m.supply.ma(1.0, 0.0, 7.2) == pytest.approx(stall * 0.8, rel=0.01)  # the stall current follows the voltage


def test_coast_and_brake_draw_nothing_and_a_driven_motor_reports_its_current():
    m = Motor(catalogue()["motor-large"], "A", 1.0, "clockwise", 0.01)
    m.reset(None, 9.0)
    assert m.state()["supply_ma"] == 0.0
    m.command(1.0)
    m.control(0.0)
    m.physics(0.0)
    assert m.state()["supply_ma"] == pytest.approx(1800.0)
    for stop in ("brake", "coast"):
        m.command({"stop": stop})
        m.control(0.0)
        assert m.state()["supply_ma"] == 0.0


def test_a_motor_part_without_its_currents_names_the_keys_to_add():
    part = catalogue()["motor-large"]
    bare = replace(part, params={k: v for k, v in part.params.items() if not k.endswith("current_ma")})
    with pytest.raises(KeyError, match=r"\[motor.motor-large\] lacks stall_current_ma, no_load_current_ma"):
        Motor(bare, "A", 1.0, "clockwise", 0.01)


# -- on the brick ----------------------------------------------------------------------------------
def run(tmp_path, body: str, robot="rover", files=None):
    d = tmp_path / "prog"
    d.mkdir()
    for name, data in (files or {}).items():
        (d / name).write_bytes(data)
    (d / "main.py").write_text(textwrap.dedent("""
        from pybricks.hubs import EV3Brick
        from pybricks.ev3devices import Motor
        from pybricks.parameters import Port
        from pybricks.media.ev3dev import SoundFile
        from pybricks.tools import wait, StopWatch
        ev3 = EV3Brick()
        clock = StopWatch()
        """) + textwrap.dedent(body))
    r = run_episode("line-follow", robot, d, seed=0, limits=Limits(step_s=0.5))
    assert r.status == OK, r.reason + r.output
    return r


def test_play_file_waits_for_the_sound_and_fails_as_the_brick_does(tmp_path):
    r = run(tmp_path, """
        def timed(path):
            t0 = clock.time()
            ev3.speaker.play_file(path)
            return clock.time() - t0
        print("hello_ms =", timed(SoundFile.HELLO))
        ev3.speaker.set_volume(0)
        print("silent_ms =", timed(SoundFile.BOING))
        print("own_ms =", timed("beep.wav"))
        for bad in ("missing.wav", "/home/robot/other/x.wav", "/usr/share/sounds/ev3dev/none/x.wav"):
            try:
                ev3.speaker.play_file(bad)
            except RuntimeError as exc:
                print("error =", exc)
        try:
            ev3.speaker.play_file(3)
        except TypeError:
            print("type_error = yes")
        """, files={"beep.wav": wav_bytes(8000, 1, 1, 2000)})
    out = report(r)
    assert 784.8 <= int(out["silent_ms"]) < 784.8 + 10  # whole control periods of 10 ms
    assert SOUND_MS["communication/hello"] <= int(out["hello_ms"]) < SOUND_MS["communication/hello"] + 10
    assert 250 <= int(out["own_ms"]) < 260
    errors = [line.split("=", 1)[1].strip() for line in r.output.splitlines() if line.startswith("error =")]
    assert len(errors) == 3
    assert errors[0].startswith("Playing file failed: missing.wav: No such file or directory")
    assert all("No such file or directory" in e and "program's own folder" in e for e in errors)
    assert out["type_error"] == "yes"
    played = [(s["what"], s["duration_ms"]) for s in r.brick["sound"] if s["kind"] == "play"]
    assert played == [(SoundFile.HELLO, SOUND_MS["communication/hello"]), (SoundFile.BOING, 784.8),
                      ("beep.wav", 250.0)]


def test_battery_current_rises_with_the_motors_load(tmp_path):
    r = run(tmp_path, """
        fork, left = Motor(Port.A), Motor(Port.B)
        print("idle =", ev3.battery.current())
        left.run(500)
        wait(1000)
        print("run =", ev3.battery.current())
        left.stop()
        wait(500)
        print("coasting =", ev3.battery.current())
        fork.run(300)
        wait(1500)  # the fork is at its 60 deg stop: the servo pushes at full duty
        print("stalled =", ev3.battery.current(), fork.stalled())
        fork.brake()
        wait(100)
        print("braked =", ev3.battery.current())
        """, robot="forklift")
    out = report(r)
    idle, run_ma, stalled = int(out["idle"]), int(out["run"]), int(out["stalled"].split()[0])
    assert idle == round(IDLE_MA) == int(out["coasting"]) == int(out["braked"])
    assert idle < run_ma < stalled
    assert out["stalled"].endswith("True")
    assert stalled >= idle + 0.9 * 800  # the medium motor's stall current at full duty

"""How long `aplay` takes to play a file: what EV3Brick.speaker.play_file waits for.

pybricks v2.0 (pybricks-micropython v2.0.0, bricks/ev3dev/pb_type_ev3dev_speaker.c) runs
`aplay -q FILE` and returns when it exits; a failure raises RuntimeError("Playing file failed: "
+ aplay's stderr). aplay (alsa-utils 1.1.3, Debian stretch as on ev3dev-stretch, aplay/aplay.c
`playback`, `test_wavefile`) plays a RIFF/WAVE file's data chunk (at most to the end of the file)
and anything it does not recognise as raw unsigned 8-bit mono at 8000 Hz (its defaults). Standard
library only: this runs inside the brick program's sandbox.

Regenerate the SoundFile table (pybricks/media/_sound_lengths.py) from ev3dev-media's sounds/:
    python _wav.py DIR
"""

from __future__ import annotations

import os
import stat
import struct
import sys

RAW_BYTES_PER_S = 8000  # aplay's default format for data it does not recognise: U8, mono, 8000 Hz
HEAD_BYTES = 1 << 20  # the chunk headers a file is timed from sit in its start; the length is fstat's
_PCM, _FLOAT, _EXTENSIBLE = 0x0001, 0x0003, 0xFFFE


def failed(path: str, why: str) -> RuntimeError:
    """The error pybricks raises when aplay fails, with aplay's message."""
    return RuntimeError(f"Playing file failed: {path}: {why}")


def _chunks(data: bytes, big: bool):
    """(id, offset of the body, declared length) of each chunk after the RIFF header."""
    fmt = ">I" if big else "<I"
    pos = 12
    while pos + 8 <= len(data):
        length = struct.unpack_from(fmt, data, pos + 4)[0]
        yield data[pos:pos + 4], pos + 8, length
        pos += 8 + length + (length & 1)  # chunks are padded to an even length


def duration_ms(data: bytes, path: str = "file", size: int | None = None) -> float:
    """Playing time of a file as aplay plays it (ms), from its first bytes `data` and its length
    `size` in bytes (default: len(data), the whole file)."""
    size = len(data) if size is None else size
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RIFX") or data[8:12] != b"WAVE":
        return size * 1000.0 / RAW_BYTES_PER_S
    big = data[:4] == b"RIFX"
    rate = block = None
    for cid, body, length in _chunks(data, big):
        if cid == b"fmt ":
            if length < 16 or body + 16 > len(data):
                raise failed(path, f"unknown length of 'fmt ' chunk (read {length}, should be 16 at least)")
            tag, channels, rate, _, block = struct.unpack_from(">HHIIH" if big else "<HHIIH", data, body)
            if tag == _EXTENSIBLE and length >= 40:
                if body + 26 > len(data):
                    raise failed(path, "read error: the 'fmt ' chunk is cut short")
                tag = struct.unpack_from(">H" if big else "<H", data, body + 24)[0]
            if tag not in (_PCM, _FLOAT):
                raise failed(path, f"can't play WAVE-file format 0x{tag:04x} which is not PCM or FLOAT encoded")
            if channels < 1:
                raise failed(path, f"can't play WAVE-files with {channels} tracks")
            if rate < 1:
                raise failed(path, f"can't play WAVE-files at {rate} Hz")
        elif cid == b"data":
            if rate is None or not block:
                raise failed(path, "read error: no 'fmt ' chunk before the data")
            played = max(0, min(length, size - body))  # aplay stops at the end of the file
            return (played // block) * 1000.0 / rate
    raise failed(path, "read error: no data chunk")


def file_ms(path: str, name: str | None = None) -> float:
    """Playing time of the file at path (ms); a missing or unreadable file fails as aplay does
    (perror: the name it was given, then the reason)."""
    name = path if name is None else name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not wait for a writer
        with open(fd, "rb") as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block or never end
                raise failed(name, "not a regular file")
            data = f.read(HEAD_BYTES)
    except OSError as exc:
        raise failed(name, exc.strerror or str(exc)) from None
    return duration_ms(data, name, st.st_size)


def table(root: str) -> dict[str, float]:
    """'folder/name' -> ms (0.1 ms) for every .wav under root (ev3dev-media's sounds/)."""
    out = {}
    for folder in sorted(os.listdir(root)):
        sub = os.path.join(root, folder)
        for name in sorted(os.listdir(sub)) if os.path.isdir(sub) else ():
            if name.endswith(".wav"):
                out[f"{folder}/{name[:-4]}"] = round(file_ms(os.path.join(sub, name)), 1)
    return out


if __name__ == "__main__":
    for key, ms in table(sys.argv[1]).items():
        print(f'    "{key}": {ms},')

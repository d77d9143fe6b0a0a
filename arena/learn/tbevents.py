"""TensorBoard event files for scalars, written without TensorBoard or TensorFlow installed.

The format: a sequence of records (length: uint64 LE, masked CRC-32C of the length, the bytes, the
masked CRC-32C of the bytes), each an `Event` protocol buffer: wall_time (field 1, double), step
(field 2, varint), file_version (field 3, the first record) or summary (field 5) holding values of
(tag: field 1, simple_value: field 2, float). `tensorboard --logdir RUN` reads them.
"""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path


def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1  # the Castagnoli polynomial, reflected
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for byte in data:
        c = _TABLE[(c ^ byte) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def event(step: int, wall_time: float, scalars: dict[str, float] | None = None, version: str | None = None) -> bytes:
    body = b"\x09" + struct.pack("<d", wall_time) + b"\x10" + _varint(int(step))
    if version is not None:
        body += _field(3, version.encode())
    if scalars:
        values = b"".join(_field(1, _field(1, tag.encode()) + b"\x15" + struct.pack("<f", float(v)))
                          for tag, v in scalars.items())
        body += _field(5, values)
    return body


def record(data: bytes) -> bytes:
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked_crc(head)) + data + struct.pack("<I", masked_crc(data))


class EventWriter:
    """Appends scalar events to one new events.out.tfevents.* file in `folder`."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}"
        self._f = open(self.path, "ab")  # noqa: SIM115 - kept open for the run, closed by close()
        self._f.write(record(event(0, time.time(), version="brain.Event:2")))
        self._f.flush()

    def scalars(self, step: int, values: dict[str, float]) -> None:
        if values:
            self._f.write(record(event(step, time.time(), values)))
            self._f.flush()

    def close(self) -> None:
        self._f.close()


def read_scalars(path: Path) -> list[tuple[int, str, float]]:
    """(step, tag, value) for every scalar in an event file, checking every CRC: the reader the
    tests use to prove the files are well formed."""
    data, out, i = Path(path).read_bytes(), [], 0
    while i < len(data):
        (n,) = struct.unpack_from("<Q", data, i)
        if struct.unpack_from("<I", data, i + 8)[0] != masked_crc(data[i:i + 8]):
            raise ValueError(f"{path}: bad length CRC at byte {i}")
        body = data[i + 12:i + 12 + n]
        if struct.unpack_from("<I", data, i + 12 + n)[0] != masked_crc(body):
            raise ValueError(f"{path}: bad data CRC at byte {i}")
        out.extend(_scalars_of(body))
        i += 16 + n
    return out


def _read_varint(b: bytes, i: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        byte = b[i]
        n |= (byte & 0x7F) << shift
        i += 1
        if not byte & 0x80:
            return n, i
        shift += 7


def _fields(b: bytes):
    """(number, wire type, value) of each field of a message (types 0, 1, 2, 5)."""
    i = 0
    while i < len(b):
        key, i = _read_varint(b, i)
        num, typ = key >> 3, key & 7
        if typ == 0:
            v, i = _read_varint(b, i)
        elif typ == 1:
            v, i = b[i:i + 8], i + 8
        elif typ == 5:
            v, i = b[i:i + 4], i + 4
        else:
            n, i = _read_varint(b, i)
            v, i = b[i:i + n], i + n
        yield num, typ, v


def _scalars_of(event_bytes: bytes):
    step, found = 0, []
    for num, _typ, v in _fields(event_bytes):
        if num == 2:
            step = v
        elif num == 5:
            for _n, _t, value in _fields(v):
                tag, x = "", 0.0
                for fn, _ft, fv in _fields(value):
                    if fn == 1:
                        tag = fv.decode()
                    elif fn == 2:
                        x = struct.unpack("<f", fv)[0]
                found.append((tag, x))
    return [(step, t, x) for t, x in found]

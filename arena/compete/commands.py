"""The replay's commands: arena.match.command_bytes (the run's digest encodes every step's commands
this way) read back. Replays store those bytes as they are (arena.compete.replay), so decoding is
the inverse of the digest's encoding, and a replay is untrusted input: anything else is a
ValueError naming the step."""

from __future__ import annotations

import struct

from arena import match as codec

__all__ = ["decode_commands"]


def _name(blob: bytes, pos: int) -> tuple[str, int]:
    n = blob[pos] - 1
    if n < 0 or pos + 1 + n > len(blob):
        raise ValueError(f"bad name at byte {pos}")
    return blob[pos + 1:pos + 1 + n].decode(), pos + 1 + n


def decode_commands(blob: bytes, steps: int, players: int) -> list[list[dict]]:
    """The inverse of arena.match.command_bytes over `steps` steps of `players` players each;
    ValueError naming the step if the bytes are not that."""
    out, pos = [], 0
    try:
        for _ in range(steps):
            step, slots = [], []  # slots: (table, key) that take the step's numbers in order
            for _ in range(players):
                cmd: dict = {}
                while blob[pos] != codec.END:
                    port, pos = _name(blob, pos)
                    kind, pos = blob[pos], pos + 1
                    if kind == codec.NUMBER:
                        slots.append((cmd, port))
                    elif kind == codec.TEXT:
                        cmd[port], pos = _name(blob, pos)
                    elif kind == codec.TABLE:
                        table = cmd[port] = {}
                        while blob[pos] != codec.END:
                            key, pos = _name(blob, pos)
                            kind, pos = blob[pos], pos + 1
                            if kind == codec.NUMBER:
                                slots.append((table, key))
                            elif kind == codec.TEXT:
                                table[key], pos = _name(blob, pos)
                            else:
                                raise ValueError(f"bad value tag {kind} at byte {pos - 1}")
                        pos += 1
                    else:
                        raise ValueError(f"bad value tag {kind} at byte {pos - 1}")
                pos += 1
                step.append(cmd)
            values = struct.unpack_from(f"<{len(slots)}d", blob, pos)
            pos += 8 * len(slots)
            for (table, key), v in zip(slots, values, strict=True):
                table[key] = v
            out.append(step)
    except (IndexError, UnicodeDecodeError, ValueError, struct.error) as exc:
        raise ValueError(f"step {len(out)}: {exc if str(exc) else 'truncated'}") from None
    if pos != len(blob):
        raise ValueError(f"{len(blob) - pos} bytes past the last of {steps} steps")
    return out

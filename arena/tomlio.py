"""Reading TOML files with errors that name the file, the key and the fix."""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from arena.errors import SpecError
from arena.units import parse_color

_MISSING = object()

# Limits on anything read from a file (docs/robots.md, docs/worlds.md): no robot, world or agent
# file needs more, and past them a hostile file could make the arena allocate or loop without end.
MAX_FILE_BYTES = 4_000_000
MAX_NUMBER = 1_000_000.0  # largest magnitude of any number (1 km in mm)
MAX_TABLES = 1000  # entries in one array of tables ([[zones]], [[objects]], ...)


T = TypeVar("T")
_cache_lock = threading.Lock()
_reads = threading.local()  # .log: while cached_load runs a load, every (path, bytes) load_toml read


def _read_bytes(path) -> bytes:
    with open(path, "rb") as fh:  # read at most one byte past the limit (/dev/zero ends too)
        return fh.read(MAX_FILE_BYTES + 1)


def _signature(path) -> tuple:
    st = Path(path).stat()  # the target's, and which target: a re-pointed symlink differs
    return (st.st_size, st.st_mtime_ns, st.st_ino, os.path.realpath(path))


def _digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()  # kept instead of the bytes: files go to 4 MB


def depends_on(path) -> None:
    """Tell a running cached_load that its result depends on this (non-TOML) file, such as a
    world's mat picture: the result is reused only while the file's size, mtime and inode stay."""
    log = getattr(_reads, "log", None)
    if log is not None:
        try:
            log.append((str(path), _signature(path)))
        except OSError:
            log.append((str(path), None))  # missing now: any file there later differs


def _unchanged(path: str, seen) -> bool:
    if seen is None:
        return not Path(path).exists()
    return (_digest(_read_bytes(path)) if type(seen) is bytes else _signature(path)) == seen


def cached_load(cache: OrderedDict, path: Path, load: Callable[[Path], T], size: int = 64) -> T:
    """load(path), or what an earlier load(path) returned if every file it read (through
    load_toml, or named with depends_on) is unchanged: a tournament or an eval loads the same world and robot
    for every match, and parsing and validating them is most of a match's set-up in Python. The
    result is shared, so `load` must return an immutable value (the frozen specs). Errors are not
    cached: a broken file is read again, and reported again, every time."""
    path = Path(path)
    try:  # where a name in the file resolves can depend on the working folder and ARENA_PATH
        key = (str(path), str(path.resolve()), os.getcwd(), os.environ.get("ARENA_PATH"))
    except (OSError, RuntimeError):  # a symlink loop, a deleted working folder: load() reports it
        return load(path)
    outer = getattr(_reads, "log", None)
    with _cache_lock:
        hit = cache.get(key)
    if hit is not None:
        value, files = hit
        try:
            if all(_unchanged(f, seen) for f, seen in files):
                with _cache_lock:
                    if key in cache:
                        cache.move_to_end(key)
                if outer is not None:
                    outer.extend(files)  # inside another cached load: it depends on these files too
                return value
        except OSError:
            pass  # gone or unreadable now: load() reports it
    _reads.log = log = []
    try:
        value = load(path)
    finally:
        _reads.log = outer
        if outer is not None:  # inside another cached load (even one that catches our error)
            outer.extend(log)
    with _cache_lock:  # web requests load worlds from several threads
        cache[key] = (value, tuple(log))
        while len(cache) > size:
            cache.popitem(last=False)
    return value


def load_toml(path: Path) -> dict:
    try:
        raw = _read_bytes(path)
        if len(raw) > MAX_FILE_BYTES:
            raise SpecError(str(path), "", f"the file is over the {MAX_FILE_BYTES:,} byte limit",
                            "robot and world files are small text files: check you gave the right file")
    except FileNotFoundError:
        raise SpecError(str(path), "", "file not found", "check the path") from None
    except IsADirectoryError:
        raise SpecError(str(path), "", "is a folder, not a file", "give the path of a .toml file") from None
    except OSError as exc:
        raise SpecError(str(path), "", f"cannot read the file ({exc.strerror or exc})", "check the path and its permissions") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise SpecError(str(path), "", "UTF-16 text, not UTF-8", "save it as UTF-8 text")
    if b"\0" in raw[:4096]:
        raise SpecError(str(path), "", "a binary file, not text", "give the path of a .toml text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(str(path), "", f"not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start})",
                        "save it as UTF-8 text") from None
    log = getattr(_reads, "log", None)
    if log is not None:
        log.append((str(path), _digest(raw)))
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(path), "", f"not valid TOML: {exc}", "fix the syntax at that line") from None


def closest(name: str, known) -> str | None:
    """The known key a mistyped one most likely meant (None: nothing close)."""
    hit = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    return hit[0] if hit else None


def unknown_key_fix(name: str, known) -> str:
    """The fix for an unknown key: the closest known key, else the whole list."""
    near = closest(name, known)
    if near is not None:
        return f"did you mean `{near}`? (or remove it)"
    return f"remove it or use one of: {', '.join(sorted(known))}"


def number_problem(v: float) -> tuple[str, str] | None:
    """(problem, fix) for a number no file may hold: not finite, or absurdly large."""
    if not math.isfinite(v):
        return f"expected a finite number, got {v!r}", "use an ordinary number (nan and inf are not allowed)"
    if abs(v) > MAX_NUMBER:
        return f"{v:g} is too large (any number must be within +-{MAX_NUMBER:,.0f})", "use a realistic value"
    return None


def first_problem(problems: list[SpecError], path) -> SpecError:
    """The one error a loader raises for a file with problems: the first, or the mistyped key
    behind a missing one (`time_limt` explains "time_limit: missing"), counting the rest."""
    first = problems[0]
    missing = {e.key for e in problems if e.problem == "missing required key"}
    for e in problems:
        if e.problem == "unknown key" and e.fix.startswith("did you mean `"):
            near = e.fix.split("`")[1]
            parent = e.key.rsplit(".", 1)[0] if "." in e.key else ""
            if (f"{parent}.{near}" if parent else near) in missing:
                first = e
                break
    more = len(problems) - 1
    if more:
        tail = f"{more} more problem{'s' if more > 1 else ''}: run `arena check {path}`"
        first = SpecError(first.file, first.key, first.problem, f"{first.fix}; {tail}" if first.fix else tail)
    return first


class Table:
    """A view of one TOML table that remembers its file and key path for error messages."""

    def __init__(self, data: dict, file: str, path: str = ""):
        if not isinstance(data, dict):
            raise SpecError(file, path, f"expected a table, got {type(data).__name__}",
                            f"write [{path}] as a table of keys")
        self.data, self.file, self.path = data, file, path
        self._used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, problem: str, fix: str = "") -> SpecError:
        return SpecError(self.file, self.key(name), problem, fix)

    def has(self, name: str) -> bool:
        return name in self.data

    def number(self, name: str, v: float) -> float:
        """v, or an error naming the key when it is not finite or absurdly large."""
        bad = number_problem(float(v)) if not isinstance(v, int) or abs(v) > MAX_NUMBER else None
        if bad is not None:
            raise self.error(name, *bad)
        return v

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        self._used.add(name)
        if name not in self.data:
            if default is _MISSING:  # a mistyped key is reported by unknown(), with this name
                raise self.error(name, "missing required key", f"add `{name} = ...`")
            return default
        return self.data[name]

    def str(self, name: str, default: Any = _MISSING, choices: tuple | None = None) -> str:
        v = self.raw(name, default)
        if v is default and default is not _MISSING:
            return v
        if not isinstance(v, str):
            raise self.error(name, f"expected a string, got {v!r}", f'write {name} = "..."')
        if choices is not None and v not in choices:
            raise self.error(name, f"unknown value {v!r}", f"use one of: {', '.join(map(str, choices))}")
        return v

    def num(self, name: str, default: Any = _MISSING, lo: float | None = None, hi: float | None = None) -> float:
        v = self.raw(name, default)
        if v is default and default is not _MISSING:
            return v
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(name, f"expected a number, got {v!r}", f"write {name} = <number>")
        self.number(name, v)
        if lo is not None and v < lo:
            raise self.error(name, f"{v} is below the minimum {lo}", f"use a value >= {lo}")
        if hi is not None and v > hi:
            raise self.error(name, f"{v} is above the maximum {hi}", f"use a value <= {hi}")
        return float(v)

    def int(self, name: str, default: Any = _MISSING, lo: int | None = None, hi: int | None = None) -> int:
        v = self.raw(name, default)
        if v is default and default is not _MISSING:
            return v
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.error(name, f"expected an integer, got {v!r}", f"write {name} = <integer>")
        self.number(name, v)
        if lo is not None and v < lo:
            raise self.error(name, f"{v} is below the minimum {lo}", f"use a value >= {lo}")
        if hi is not None and v > hi:
            raise self.error(name, f"{v} is above the maximum {hi}", f"use a value <= {hi}")
        return v

    def bool(self, name: str, default: Any = _MISSING) -> bool:
        v = self.raw(name, default)
        if not isinstance(v, bool):
            raise self.error(name, f"expected true or false, got {v!r}", f"write {name} = true|false")
        return v

    def vec(self, name: str, n: int, default: Any = _MISSING, conv=None) -> tuple[float, ...]:
        v = self.raw(name, default)
        if v is default and default is not _MISSING:
            return v
        if not isinstance(v, list) or len(v) != n:
            raise self.error(name, f"expected a list of {n} values, got {v!r}", f"write {name} = [{', '.join(['0'] * n)}]")
        out = []
        for i, x in enumerate(v):
            try:
                if conv is not None:
                    out.append(conv(x))
                elif isinstance(x, bool) or not isinstance(x, (int, float)):
                    raise ValueError(f"expected a number, got {x!r}")
                else:
                    out.append(float(x))
            except ValueError as exc:
                raise self.error(f"{name}[{i}]", str(exc), "use a number") from None
            self.number(f"{name}[{i}]", out[-1])
        return tuple(out)

    def nums(self, name: str, default: Any = _MISSING, n: int | None = None) -> tuple[float, ...]:
        """A list of numbers of any length (or exactly n)."""
        v = self.raw(name, default)
        if v is default and default is not _MISSING:
            return v
        if not isinstance(v, list) or (n is not None and len(v) != n):
            raise self.error(name, f"expected a list of {n or 'some'} numbers, got {v!r}", f"write {name} = [1, 2, ...]")
        for i, x in enumerate(v):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise self.error(f"{name}[{i}]", f"expected a number, got {x!r}", "use a number")
            self.number(f"{name}[{i}]", x)
        return tuple(float(x) for x in v)

    def strs(self, name: str, default: Any = _MISSING) -> tuple[str, ...]:
        v = self.raw(name, default)
        if v is default and default is not _MISSING:
            return v
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self.error(name, f"expected a list of strings, got {v!r}", f'write {name} = ["a", "b"]')
        return tuple(v)

    def color(self, name: str, default: Any = _MISSING, fix: str = "") -> tuple[int, int, int]:
        """A colour name or #rrggbb as RGB 0-255 (units.NAMED_COLORS)."""
        v = self.str(name, default)
        try:
            return parse_color(v)
        except ValueError as exc:
            raise self.error(name, str(exc), fix) from None

    def table(self, name: str, default: Any = _MISSING) -> Table:
        v = self.raw(name, default)
        if v is default and default is not _MISSING:
            return Table({}, self.file, self.key(name)) if v is None else v
        return Table(v, self.file, self.key(name))

    def tables(self, name: str) -> list[Table]:
        v = self.raw(name, [])
        if not isinstance(v, list):
            raise self.error(name, "expected an array of tables", f"write each entry as [[{self.key(name)}]]")
        if len(v) > MAX_TABLES:
            raise self.error(name, f"{len(v):,} entries, over the limit of {MAX_TABLES:,}", "use fewer entries")
        return [Table(x, self.file, f"{self.key(name)}[{i}]") for i, x in enumerate(v)]

    def unknown(self, extra_ok: tuple[str, ...] = ()) -> list[SpecError]:
        """An error for every key no reader asked for, each naming the closest known key."""
        known = self._used | set(extra_ok)
        return [self.error(k, "unknown key", unknown_key_fix(k, known)) for k in self.data if k not in known]

    def reject_unknown(self, extra_ok: tuple[str, ...] = ()) -> None:
        """Unknown keys are usually typos: name them instead of ignoring them."""
        bad = self.unknown(extra_ok)
        if bad:
            raise bad[0]

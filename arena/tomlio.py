"""Reading TOML files with errors that name the file, the key and the fix."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from arena.errors import SpecError
from arena.units import parse_color

_MISSING = object()


def load_toml(path: Path) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(str(path), "", "file not found", "check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), "", f"cannot read the file ({exc})", "save it as UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(path), "", f"not valid TOML: {exc}", "fix the syntax at that line") from None


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

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        self._used.add(name)
        if name not in self.data:
            if default is _MISSING:
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
        if v != v or v in (float("inf"), float("-inf")):
            raise self.error(name, f"expected a finite number, got {v!r}", "use a finite number")
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
        return [Table(x, self.file, f"{self.key(name)}[{i}]") for i, x in enumerate(v)]

    def reject_unknown(self, extra_ok: tuple[str, ...] = ()) -> None:
        """Unknown keys are usually typos: name them instead of ignoring them."""
        for k in self.data:
            if k not in self._used and k not in extra_ok:
                known = ", ".join(sorted(self._used | set(extra_ok)))
                raise self.error(k, "unknown key", f"remove it or use one of: {known}")

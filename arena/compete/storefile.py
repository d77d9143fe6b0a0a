"""Opening a results database file: every way a --db path can be wrong is one clear ArenaError.

arena.compete.store owns the schema and its migrations; this module checks the file before and
after them: a folder, a missing or unwritable folder, an unreadable file, a file that is not
SQLite, an SQLite database of another application, a store whose tables lack the columns the
schema needs, and a store written by a newer kit-arena. Never imports pybullet.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from arena.errors import ArenaError

SQLITE_MAGIC = b"SQLite format 3\x00"
OUR_TABLES = {"matches", "results", "replays", "failures", "submissions"}  # any of them: a Kit Arena store
FIX = ("pass the results file that `arena tournament` writes (default arena-results/results.sqlite), or a new "
       "file name to start a fresh one")


def show(path: str | Path) -> str:
    """A path (or any text) for a message: bytes that are not UTF-8 and lone surrogates are shown
    escaped, never a crash when printed."""
    try:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no file name could hold (from JSON, say)
        return str(path).encode("utf-8", "backslashreplace").decode()


def _refuse(path: Path, problem: str, fix: str = FIX) -> ArenaError:
    return ArenaError(f"{show(path)}: {problem} (fix: {fix})")


def check_file(path: Path) -> None:
    """What can be told about the file before SQLite opens it."""
    try:
        if path.is_dir():
            raise _refuse(path, "is a folder, not a results database", f"pass a file, e.g. {show(path / 'results.sqlite')}")
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _refuse(path, f"cannot create its folder: {exc.strerror or exc}",
                              "pass a path in a folder you can write to") from None
            return
        if not path.is_file():
            raise _refuse(path, "is not a regular file")
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except PermissionError:
        raise _refuse(path, "cannot read it: permission denied", "make the file and its folder readable and "
                      "writable (chmod u+rw), or pass another --db") from None
    except OSError as exc:
        raise _refuse(path, f"cannot read it: {exc.strerror or exc}") from None
    if head and head != SQLITE_MAGIC:
        raise _refuse(path, f"not a results database (an SQLite file starts with 'SQLite format 3', this one "
                            f"with {head[:12]!r})")


def connect(path: Path) -> sqlite3.Connection:
    """Check the file, then open it in WAL mode; ArenaError for anything SQLite refuses."""
    check_file(path)
    try:
        db = sqlite3.connect(os.fsencode(path), timeout=60)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise refused(path, exc) from None
    return db


def refused(path: Path, exc: sqlite3.DatabaseError) -> ArenaError:
    """SQLite's own refusal, with the fix that matches it."""
    msg = str(exc)
    if "not a database" in msg or "malformed" in msg:
        return _refuse(path, f"not a results database or a damaged one ({msg})")
    if "no such column" in msg or "no such table" in msg:
        return _refuse(path, f"a database of another schema or a damaged results store ({msg})")
    if "readonly" in msg or "unable to open" in msg or "permission" in msg.lower():
        return _refuse(path, f"cannot open it for writing ({msg})", "make the file and its folder writable "
                       "(chmod u+rw), or pass another --db")
    return _refuse(path, f"cannot open the results database ({msg})")


def check_foreign(db: sqlite3.Connection, path: Path) -> None:
    """Refuse an SQLite database of another application instead of adding our tables to it."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
                                       "'sqlite_%'")}
    if tables and not tables & OUR_TABLES:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise _refuse(path, f"an SQLite database of another application (tables {shown}), not a results database")


def check_newer(path: Path, version: int, ours: int) -> None:
    if version > ours:
        raise _refuse(path, f"results database schema {version} was written by a newer kit-arena (this one reads "
                            f"schema {ours})", "upgrade kit-arena (pip install -U kit-arena), or pass another --db")


def check_columns(db: sqlite3.Connection, path: Path, schema: str, existing_only: bool = False) -> None:
    """Every table of the schema has every column the schema gives it (a table of the same name
    from another schema, or a damaged store, is refused here rather than failing in a query).
    existing_only: check only the tables the file has (before the schema script creates the rest)."""
    want = sqlite3.connect(":memory:")
    try:
        want.executescript(schema)
        tables = [r[0] for r in want.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
                                             "'sqlite_%'")]
        for t in tables:
            need = [r[1] for r in want.execute(f"PRAGMA table_info({t})")]
            have = {r[1] for r in db.execute(f"PRAGMA table_info({t})")}
            if not have and existing_only:
                continue
            missing = [c for c in need if c not in have]
            if missing:
                raise _refuse(path, f"table {t} has no column {', '.join(missing)}: a database of another schema "
                                    "or a damaged results store")
    finally:
        want.close()

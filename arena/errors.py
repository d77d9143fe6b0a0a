"""Errors a user can act on: each names the file, the key and the fix."""

from __future__ import annotations


class ArenaError(Exception):
    """Base for every error the CLI reports as one clear line (never a traceback)."""


class SpecError(ArenaError):
    """A robot, world or agent file is malformed.

    file: the path of the file; key: the dotted key path inside it (may be empty);
    fix: what to do about it.
    """

    def __init__(self, file: str, key: str, problem: str, fix: str = ""):
        self.file, self.key, self.problem, self.fix = str(file), key, problem, fix
        where = f"{self.file}" + (f": {key}" if key else "")
        msg = f"{where}: {problem}"
        if fix:
            msg += f" (fix: {fix})"
        super().__init__(msg)


class NotFoundError(ArenaError):
    """A named robot, world or agent could not be found."""

"""What the command modules share: the rich console and the defaults of several commands."""

from __future__ import annotations

import sys
from pathlib import Path

from arena.compete.backends import default_workers

__all__ = ["DEFAULT_DB", "default_workers", "make_console"]

DEFAULT_DB = Path("arena-results") / "results.sqlite"


def make_console():
    from rich.console import Console

    # piped output (logs, CI) gets a fixed wide layout instead of rich's 80-column default
    return Console(highlight=False, width=None if sys.stdout.isatty() else 140)

"""What the command modules share: the rich console and the default results database."""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_DB = Path("arena-results") / "results.sqlite"


def make_console():
    from rich.console import Console

    # piped output (logs, CI) gets a fixed wide layout instead of rich's 80-column default
    return Console(highlight=False, width=None if sys.stdout.isatty() else 140)

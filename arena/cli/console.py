"""What the command modules share: the rich console and the default results database."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

DEFAULT_DB = Path("arena-results") / "results.sqlite"


def make_console():
    from rich.console import Console

    # piped output (logs, CI) gets a fixed wide layout instead of rich's 80-column default
    return Console(highlight=False, width=None if sys.stdout.isatty() else 140)


def number(above: float | None = None, at_least: float | None = None):
    """An argparse type: a finite float (not nan or inf), above or at least a bound, so every
    numeric flag is refused in one line before any work starts."""
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if above is not None and not v > above:
            raise argparse.ArgumentTypeError(f"{text} must be above {above:g}")
        if at_least is not None and v < at_least:
            raise argparse.ArgumentTypeError(f"{text} must be at least {at_least:g}")
        return v

    parse.__name__ = "number"  # argparse names the type in its message
    return parse

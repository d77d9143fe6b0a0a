"""Argument types the benchmarks share."""

from __future__ import annotations

import argparse


def positive(text: str) -> int:
    """argparse type: a whole number of at least 1 (a median needs one run)."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return n

"""Teams: who may submit through `arena serve`, by a bearer token; and how often.

A team has a name and a random token (`arena team add NAME` prints it once). Only sha256(token)
is stored, so a copy of the results file gives nobody a token. The rate limit counts the team's
jobs in the store's jobs table (arena.compete.jobs), so it holds across processes and restarts.
Never imports pybullet.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
import time

from arena.compete.submissions import NAME_RE, SubmissionError, shown
from arena.errors import ArenaError

SUBMIT_LIMIT = 10  # jobs per team per window (ARENA_SUBMIT_LIMIT overrides it)
SUBMIT_WINDOW_S = 3600.0  # s (ARENA_SUBMIT_WINDOW_S overrides it)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,200}$")  # token_urlsafe's alphabet; anything else is refused unread


class RateLimitError(SubmissionError):
    """A team submitted too often (the message says when it may submit again)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def check_team_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ArenaError(f"team name {shown(str(name))}: use 1-40 characters a-z, 0-9, _ or -, starting with a "
                         "letter or digit (fix: arena team add my_team)")


def add_team(store, name: str) -> str:
    """Create a team; returns its new token (shown once: only its hash is kept)."""
    check_team_name(name)
    token = secrets.token_urlsafe(32)
    with store.transaction() as db:
        if db.execute("SELECT 1 FROM teams WHERE name=?", (name,)).fetchone():
            raise ArenaError(f"team {shown(name)} exists already in {store.path} (fix: choose another name; "
                             "`arena team list` shows the taken ones)")
        db.execute("INSERT INTO teams VALUES (?,?,?)", (name, _digest(token), time.time()))
    return token


def team_for_token(store, token: str | None) -> str | None:
    """The team a token belongs to; None for a missing, malformed or unknown token."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    h = _digest(token)
    row = store.db.execute("SELECT name, token_hash FROM teams WHERE token_hash=?", (h,)).fetchone()
    if row is None or not hmac.compare_digest(row[1], h):
        return None
    return row[0]


def teams(store) -> list[dict]:
    """Every team, oldest first: name and created (unix time); never the token's hash."""
    return [{"name": n, "created": c} for n, c in store.db.execute("SELECT name, created FROM teams ORDER BY created, name")]


def has_team(store, name: str) -> bool:
    return store.db.execute("SELECT 1 FROM teams WHERE name=?", (name,)).fetchone() is not None


def limits() -> tuple[int, float]:
    """(submissions per window, window in s): the module constants, or the environment's overrides."""
    limit, window = SUBMIT_LIMIT, SUBMIT_WINDOW_S
    raw = os.environ.get("ARENA_SUBMIT_LIMIT")
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            limit = -1
        if limit < 1:
            raise ArenaError(f"ARENA_SUBMIT_LIMIT={raw!r}: give a whole number of submissions of at least 1 (fix: "
                             f"e.g. ARENA_SUBMIT_LIMIT={SUBMIT_LIMIT}, or unset it)")
    raw = os.environ.get("ARENA_SUBMIT_WINDOW_S")
    if raw is not None:
        try:
            window = float(raw)
        except ValueError:
            window = math.nan
        if not (math.isfinite(window) and window > 0):
            raise ArenaError(f"ARENA_SUBMIT_WINDOW_S={raw!r}: give a number of seconds above 0 (fix: e.g. "
                             f"ARENA_SUBMIT_WINDOW_S={SUBMIT_WINDOW_S:.0f}, or unset it)")
    return limit, window


def _span(seconds: float) -> str:
    if seconds == 3600:
        return "hour"
    if seconds % 3600 == 0:
        return f"{seconds / 3600:.0f} hours"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:g} s"


def rate_limit(store, team: str, now: float | None = None) -> str | None:
    """None when the team may submit now; else a one-line reason with when it may again."""
    limit, window = limits()
    now = time.time() if now is None else now
    created = [r[0] for r in store.db.execute("SELECT created FROM jobs WHERE team=? AND created > ? ORDER BY created",
                                              (team, now - window))]
    if len(created) < limit:
        return None
    # the oldest jobs leave the window first; it must drop below the limit
    wait = max(0.0, created[len(created) - limit] + window - now)
    again = f"{math.ceil(wait / 60)} min" if wait >= 60 else f"{math.ceil(wait)} s"
    return (f"team {team} has submitted {len(created)} times in the last {_span(window)}; the limit is {limit}; "
            f"try again in {again}")

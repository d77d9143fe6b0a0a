"""Ratings and standings: pure functions of stored results; never imports pybullet.

- A *game* is what one comparison is made of. In a solo world every agent plays the same seeds,
  so a game is (world, seed): all agents' runs on that seed, ordered by score. In a head-to-head
  world a game is one match (one seed, one start order).
- Order inside a game: higher total first, then lower tie-break time. In a match of two or more
  players a controller that failed (ERROR / TIMEOUT / INVALID) forfeits: it ranks below every
  player whose controller stayed OK. In solo worlds a failed run keeps the score it reached.
- openskill (Plackett-Luce, tau = 0, shown as mu - 3 sigma) is the running rating while a
  tournament plays; Bradley-Terry, fitted to every pairwise outcome with a bootstrap over games
  for 95 % intervals, gives the final standings.
- TournamentRatings keeps the openskill ratings up to date from the store while a tournament plays;
  best_run picks the winner's best stored run (the demo renders it).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from arena.controllers.protocol import OK

BOOTSTRAP = 300
ELO_SCALE = 400.0 / math.log(10.0)  # Bradley-Terry strengths shown on the Elo scale around 1500


# -- intervals ------------------------------------------------------------------------------------
def bootstrap_ci(values, stat=np.mean, n: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of stat(values); a fixed seed makes it reproducible."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return (math.nan, math.nan)
    if len(x) == 1 or np.all(x == x[0]):
        v = float(stat(x))
        return (v, v)
    rng = np.random.default_rng(seed)
    samples = stat(x[rng.integers(0, len(x), size=(n, len(x)))], axis=1)
    a = (1 - level) / 2
    return float(np.quantile(samples, a)), float(np.quantile(samples, 1 - a))


# -- games ----------------------------------------------------------------------------------------
def entity(row: dict) -> str:
    """Who is ranked: an agent version (its content hash)."""
    return row["agent_hash"]


def games(rows: list[dict]) -> list[list[dict]]:
    """Group result rows into games (see the module docstring), in a stable order."""
    by: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        key = (r["world"], r["seed"], r["engine"]) if r.get("players", 1) == 1 else (r["world"], r["seed"], r["match_id"])
        by[key].append(r)
    return [sorted(by[k], key=lambda r: (r["match_id"], r["player"])) for k in sorted(by)]


def _order_key(r: dict, multi: bool) -> tuple:
    forfeit = 1 if multi and r["status"] != OK else 0
    return (forfeit, -r["total"], r["tiebreak"])


def ranks(game: list[dict]) -> list[int]:
    """1-based ranks inside a game (equal outcomes share a rank)."""
    multi = game[0].get("players", 1) > 1
    keys = [_order_key(r, multi) for r in game]
    return [1 + sum(k2 < k for k2 in keys) for k in keys]


def pairwise(game_list: list[list[dict]]) -> list[list[tuple[str, str, float]]]:
    """Per game: (a, b, outcome for a) for every pair of different entities (1 win, 0.5 tie)."""
    out = []
    for g in game_list:
        rk = ranks(g)
        pairs = []
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                a, b = entity(g[i]), entity(g[j])
                if a != b:
                    pairs.append((a, b, 1.0 if rk[i] < rk[j] else 0.0 if rk[i] > rk[j] else 0.5))
        out.append(pairs)
    return out


# -- Bradley-Terry ----------------------------------------------------------------------------------
def bradley_terry(pairs: list[tuple[str, str, float]], players: list[str], prior: float = 0.5,
                  iters: int = 500) -> dict[str, float]:
    """Maximum a posteriori Bradley-Terry log-strengths by the MM algorithm (Hunter 2004).

    Every player also plays `prior` virtual wins and losses against a fixed reference of strength
    1, so undefeated and winless players get finite strengths. Returned on the Elo scale, centred
    on 1500 over the players given."""
    idx = {p: i for i, p in enumerate(players)}
    n = len(players)
    wins = np.zeros((n, n))
    for a, b, s in pairs:
        i, j = idx[a], idx[b]
        wins[i, j] += s
        wins[j, i] += 1.0 - s
    games_ = wins + wins.T
    w = wins.sum(axis=1) + prior
    p = np.ones(n)
    for _ in range(iters):
        denom = (games_ / (p[:, None] + p[None, :])).sum(axis=1) + 2 * prior / (p + 1.0)
        new = w / denom
        if np.max(np.abs(np.log(new) - np.log(p))) < 1e-9:
            p = new
            break
        p = new
    logp = np.log(p)
    logp -= logp.mean()
    return {pl: 1500.0 + ELO_SCALE * float(logp[idx[pl]]) for pl in players}


def bt_with_intervals(game_pairs: list[list[tuple[str, str, float]]], players: list[str], n_boot: int = BOOTSTRAP,
                      seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """Bradley-Terry rating and a 95 % percentile bootstrap interval (resampling whole games)."""
    flat = [p for g in game_pairs for p in g]
    point = bradley_terry(flat, players)
    if len(game_pairs) < 2:
        return {p: (point[p], point[p], point[p]) for p in players}
    rng = np.random.default_rng(seed)
    samples = defaultdict(list)
    for _ in range(n_boot):
        pick = rng.integers(0, len(game_pairs), size=len(game_pairs))
        fit = bradley_terry([p for k in pick for p in game_pairs[k]], players)
        for pl, v in fit.items():
            samples[pl].append(v)
    return {p: (point[p], float(np.quantile(samples[p], 0.025)), float(np.quantile(samples[p], 0.975)))
            for p in players}


# -- openskill ---------------------------------------------------------------------------------------
class LiveRatings:
    """openskill Plackett-Luce (tau 0) ratings, updated game by game; shown as mu - 3 sigma."""

    def __init__(self):
        from openskill.models import PlackettLuce

        self.model = PlackettLuce(tau=0.0, limit_sigma=True)
        self.ratings: dict[str, object] = {}
        self.names: dict[str, str] = {}

    def update(self, game: list[dict]) -> None:
        ents = []
        for r in game:
            e = entity(r)
            self.names[e] = r["agent"]
            if e not in self.ratings:
                self.ratings[e] = self.model.rating(name=r["agent"])
            if e not in ents:
                ents.append(e)
        if len(ents) < 2:
            return
        rk = ranks(game)
        best = {e: min(k for r, k in zip(game, rk, strict=True) if entity(r) == e) for e in ents}
        new = self.model.rate([[self.ratings[e]] for e in ents], ranks=[best[e] for e in ents])
        for e, team in zip(ents, new, strict=True):
            self.ratings[e] = team[0]

    def ordinal(self, e: str) -> float:
        r = self.ratings[e]
        return float(r.mu - 3 * r.sigma)

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        order = sorted(self.ratings, key=lambda e: -self.ordinal(e))
        return [(self.names[e], self.ordinal(e)) for e in order[:n]]


# -- standings -------------------------------------------------------------------------------------
@dataclass
class Standing:
    rank: int
    agent: str
    agent_hash: str
    robot: str
    runs: int
    failures: int
    mean: float
    mean_lo: float
    mean_hi: float
    median: float
    rating: float  # Bradley-Terry, Elo scale
    rating_lo: float
    rating_hi: float
    skill: float  # openskill mu - 3 sigma
    wins: float = 0.0  # pairwise wins (ties count half)
    comparisons: int = 0
    worlds: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _labels(rows: list[dict]) -> dict[str, str]:
    """Agent names, with a short hash where one name has several versions."""
    by_name = defaultdict(set)
    for r in rows:
        by_name[r["agent"]].add(r["agent_hash"])
    return {r["agent_hash"]: r["agent"] if len(by_name[r["agent"]]) == 1 else f"{r['agent']}@{r['agent_hash'][:6]}"
            for r in rows}


def standings(rows: list[dict], n_boot: int = BOOTSTRAP) -> list[Standing]:
    """Standings over the given rows (one world, or all worlds for the overall table)."""
    if not rows:
        return []
    labels = _labels(rows)
    gl = games(rows)
    gp = pairwise(gl)
    players = sorted({entity(r) for r in rows})
    bt = bt_with_intervals(gp, players, n_boot)
    live = LiveRatings()
    for g in gl:
        live.update(g)
    per = defaultdict(list)
    for r in rows:
        per[entity(r)].append(r)
    wins, comps = defaultdict(float), defaultdict(int)
    for a, b, s in (p for g in gp for p in g):
        wins[a] += s
        wins[b] += 1 - s
        comps[a] += 1
        comps[b] += 1
    out = []
    for e in players:
        rs = per[e]
        totals = [r["total"] for r in rs]
        lo, hi = bootstrap_ci(totals)
        out.append(Standing(
            rank=0, agent=labels[e], agent_hash=e, robot=rs[0]["robot"], runs=len(rs),
            failures=sum(r["status"] != OK for r in rs), mean=float(np.mean(totals)), mean_lo=lo, mean_hi=hi,
            median=float(np.median(totals)), rating=bt[e][0], rating_lo=bt[e][1], rating_hi=bt[e][2],
            skill=live.ordinal(e) if e in live.ratings else 0.0, wins=wins[e], comparisons=comps[e],
            worlds=sorted({r["world"] for r in rs})))
    out.sort(key=lambda s: (-round(s.rating, 6), -s.mean, s.agent))
    for i, s in enumerate(out):
        s.rank = i + 1
    return out


def leaderboard(rows: list[dict], world: str | None = None, n_boot: int = BOOTSTRAP) -> dict[str, list[Standing]]:
    """{world id: standings} for every world (or the one asked for), plus "overall" over all of
    them when there is more than one world."""
    if world:
        rows = [r for r in rows if r["world"] == world]
    worlds = sorted({r["world"] for r in rows})
    out = {w: standings([r for r in rows if r["world"] == w], n_boot) for w in worlds}
    if len(worlds) > 1:
        out["overall"] = standings(rows, n_boot)
    return out


def best_run(store, board: dict[str, list[Standing]]) -> dict | None:
    """The winner's highest-scoring run in the first world of the leaderboard (a stored result row)."""
    worlds = [w for w in board if w != "overall"]
    if not worlds or not board[worlds[0]]:
        return None
    top = board[worlds[0]][0]
    rows = [r for r in store.results(worlds[0]) if r["agent_hash"] == top.agent_hash]
    return max(rows, key=lambda r: (r["total"], -r["tiebreak"]), default=None)


# -- while a tournament plays ----------------------------------------------------------------------
class TournamentRatings:
    """openskill ratings while a tournament plays: a game is rated once all its results are in.
    Starts from every result already in the store; add(job) as each scheduled match is stored."""

    def __init__(self, store, jobs):
        self.ratings = LiveRatings()
        self.store = store
        self.size = Counter(self._key(j.world_id, j.seed, j.match_id, len(j.players)) for j in jobs)
        self.got: dict = {}
        for g in games(store.results()):
            self.ratings.update(g)

    @staticmethod
    def _key(world, seed, mid, players):
        return (world, seed) if players == 1 else (world, seed, mid)

    def add(self, job) -> None:
        key = self._key(job.world_id, job.seed, job.match_id, len(job.players))
        self.got[key] = self.got.get(key, 0) + 1
        if self.got[key] == self.size[key]:
            rows = [r for r in self.store.results(job.world_id) if r["seed"] == job.seed
                    and (len(job.players) == 1 or r["match_id"] == job.match_id)]
            for g in games(rows):
                self.ratings.update(g)

    def leader(self) -> str:
        """The top three, as "name rating" pairs."""
        top = self.ratings.top(3)
        return "  ".join(f"{n} {v:.1f}" for n, v in top)

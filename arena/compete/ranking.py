"""Ratings and standings: pure functions of stored results; never imports pybullet.

- A *game* is what one comparison is made of. In a solo world every agent plays the same seeds,
  so a game is (world, seed): all agents' runs on that seed, ordered by score. In a head-to-head
  world a game is one match (one seed, one start order).
- Order inside a game: higher total first, then lower tie-break time. In a match of two or more
  players a controller that failed (ERROR / TIMEOUT / INVALID) forfeits: it ranks below every
  player whose controller stayed OK. In solo worlds a failed run keeps the score it reached.
- openskill (Plackett-Luce, tau = 0, shown as mu - 3 sigma) is the running rating while a
  tournament plays; Bradley-Terry, fitted to every pairwise outcome with a seeded parametric
  bootstrap for 95 % intervals, gives the final standings.
- TournamentRatings keeps the openskill ratings up to date from the store while a tournament plays;
  best_run picks the winner's best stored run (the demo renders it).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
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
def _fit(wins: np.ndarray, prior: float = 0.5, iters: int = 100) -> np.ndarray:
    """Centred MAP log-strengths from a wins matrix (wins[i, j]: i's wins over j), or a stack of
    them (..., n, n) fitted together, by Newton's method on the log posterior (concave): every
    player also has `prior` virtual wins and losses against a reference of log-strength 0."""
    games_ = wins + np.swapaxes(wins, -1, -2)
    theta = np.zeros(wins.shape[:-1])
    eye = np.eye(wins.shape[-1])
    for _ in range(iters):
        sig = 1.0 / (1.0 + np.exp(theta[..., None, :] - theta[..., :, None]))  # P(i beats j)
        ref = 1.0 / (1.0 + np.exp(-theta))  # P(i beats the reference)
        grad = (wins - games_ * sig).sum(axis=-1) + prior * (1.0 - 2.0 * ref)
        curv = games_ * sig * (1.0 - sig)
        neg_hess = eye * (curv.sum(axis=-1) + 2.0 * prior * ref * (1.0 - ref))[..., None] - curv
        step = np.clip(np.linalg.solve(neg_hess, grad[..., None])[..., 0], -2.0, 2.0)  # clipped: no overshoot
        theta = theta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return theta - theta.mean(axis=-1, keepdims=True)


def _wins(pairs: list[tuple[str, str, float]], idx: dict[str, int]) -> np.ndarray:
    wins = np.zeros((len(idx), len(idx)))
    for a, b, s in pairs:
        i, j = idx[a], idx[b]
        wins[i, j] += s
        wins[j, i] += 1.0 - s
    return wins


def bradley_terry(pairs: list[tuple[str, str, float]], players: list[str], prior: float = 0.5,
                  iters: int = 100) -> dict[str, float]:
    """Maximum a posteriori Bradley-Terry strengths (Newton's method on the log posterior).

    Every player also plays `prior` virtual wins and losses against a fixed reference of strength
    1, so undefeated and winless players get finite strengths. Returned on the Elo scale, centred
    on 1500 over the players given."""
    idx = {p: i for i, p in enumerate(players)}
    logp = _fit(_wins(pairs, idx), prior, iters)
    return {pl: 1500.0 + ELO_SCALE * float(logp[idx[pl]]) for pl in players}


def bt_with_intervals(game_pairs: list[list[tuple[str, str, float]]], players: list[str], n_boot: int = BOOTSTRAP,
                      seed: int = 0) -> dict[str, tuple[float, float, float]]:
    """Bradley-Terry rating and a 95 % interval from a seeded parametric bootstrap.

    Every comparison is drawn again from the fitted model (a win with the fitted probability) and
    the model refitted; the interval is the rating plus the 2.5 and 97.5 % quantiles of how far the
    refits stray from their mean. Resampling the observed games instead gives an interval of zero
    width whenever every game went the same way (three runs, one order), which overstates certainty."""
    idx = {p: i for i, p in enumerate(players)}
    wins = _wins([p for g in game_pairs for p in g], idx)
    logp = _fit(wins)
    point = 1500.0 + ELO_SCALE * logp
    counts = np.rint(np.triu(wins + wins.T, 1)).astype(np.int64)  # comparisons of i < j
    if n_boot < 2 or not counts.any():
        return {p: (float(point[i]),) * 3 for p, i in idx.items()}
    prob = 1.0 / (1.0 + np.exp(logp[None, :] - logp[:, None]))  # P(i beats j)
    rng = np.random.default_rng(seed)
    upper = rng.binomial(counts, prob, size=(n_boot, *counts.shape))  # i's wins over j > i, per resample
    samples = _fit((upper + np.swapaxes(counts - upper, -1, -2)).astype(float))
    dev = ELO_SCALE * (samples - samples.mean(axis=0))
    lo, hi = np.quantile(dev, 0.025, axis=0), np.quantile(dev, 0.975, axis=0)
    return {p: (float(point[i]), float(point[i] + min(lo[i], 0.0)), float(point[i] + max(hi[i], 0.0)))
            for p, i in idx.items()}


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
    tiebreak: float = 0.0  # mean tie-break time (s): at equal points the lower time wins the game
    best_match: str = ""  # match id of its best run (most points, then least time): `arena replay ID`

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
        best = max(rs, key=_best_key)
        out.append(Standing(
            rank=0, agent=labels[e], agent_hash=e, robot=rs[0]["robot"], runs=len(rs),
            failures=sum(r["status"] != OK for r in rs), mean=float(np.mean(totals)), mean_lo=lo, mean_hi=hi,
            median=float(np.median(totals)), rating=bt[e][0], rating_lo=bt[e][1], rating_hi=bt[e][2],
            skill=live.ordinal(e) if e in live.ratings else 0.0, wins=wins[e], comparisons=comps[e],
            worlds=sorted({r["world"] for r in rs}), tiebreak=float(np.mean([r["tiebreak"] for r in rs])),
            best_match=best["match_id"]))
    out.sort(key=lambda s: (-round(s.rating, 6), -s.mean, s.agent))
    for i, s in enumerate(out):
        s.rank = i + 1
    return out


def _best_key(r: dict) -> tuple:
    """A run's place among one agent's runs: a completed run first, then more points, then less time."""
    return (r["status"] == OK, r["total"], -r["tiebreak"])


def leaderboard(rows: list[dict], world: str | None = None, n_boot: int = BOOTSTRAP,
                progress: Callable[[int, int, str], None] | None = None) -> dict[str, list[Standing]]:
    """{world id: standings} for every world (or the one asked for), plus "overall" over all of
    them when there is more than one world. progress(done, total, table) after each table."""
    if world:
        rows = [r for r in rows if r["world"] == world]
    by_world: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_world[r["world"]].append(r)
    worlds = sorted(by_world)
    tables = len(worlds) + (len(worlds) > 1)
    out = {}
    for i, w in enumerate(worlds):
        out[w] = standings(by_world[w], n_boot)
        if progress:
            progress(i + 1, tables, w)
    if len(worlds) > 1:
        out["overall"] = standings(rows, n_boot)
        if progress:
            progress(tables, tables, "overall")
    return out


def best_run(store, board: dict[str, list[Standing]]) -> dict | None:
    """The winner's highest-scoring run in the first world of the leaderboard (a stored result row)."""
    worlds = [w for w in board if w != "overall"]
    if not worlds or not board[worlds[0]]:
        return None
    top = board[worlds[0]][0]
    rows = [r for r in store.results(worlds[0]) if r["agent_hash"] == top.agent_hash]
    return max(rows, key=_best_key, default=None)


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

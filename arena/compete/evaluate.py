"""Evaluations: one agent, one world, N seeds in parallel, summarised with intervals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from arena.compete.backends import make_backend
from arena.compete.ranking import bootstrap_ci
from arena.compete.tournament import Outcome, load_agent, load_world_entry, schedule
from arena.controllers.protocol import OK


@dataclass
class Evaluation:
    world: str
    agent: str
    robot: str
    seeds: list[int]
    totals: list[float]
    median: float
    mean: float
    ci: tuple[float, float]  # 95 % bootstrap interval of the mean
    terms: dict[str, dict]  # name -> mean value, mean points, weight
    failures: list[dict] = field(default_factory=list)  # seed, status, reason (controller or infrastructure)
    results: list = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("world", "agent", "robot", "seeds", "totals", "median", "mean", "terms",
                                           "failures")}
        d["ci95"] = list(self.ci)
        return d


def summarise(results, infra: list[dict]) -> Evaluation:
    totals = [r.score["total"] for r in results]
    terms: dict[str, dict] = defaultdict(lambda: {"value": [], "points": [], "weight": 0.0})
    for r in results:
        for name, t in r.score["terms"].items():
            terms[name]["value"].append(t["value"])
            terms[name]["points"].append(t["points"])
            terms[name]["weight"] = t["weight"]
    fails = [{"seed": r.seed, "status": r.status, "reason": r.reason} for r in results if r.status != OK] + infra
    r0 = results[0] if results else None
    return Evaluation(
        world=r0.world if r0 else "?", agent=r0.agent if r0 else "?", robot=r0.robot if r0 else "?",
        seeds=[r.seed for r in results], totals=totals,
        median=float(np.median(totals)) if totals else float("nan"),
        mean=float(np.mean(totals)) if totals else float("nan"), ci=bootstrap_ci(totals),
        terms={k: {"value": float(np.mean(v["value"])), "points": float(np.mean(v["points"])), "weight": v["weight"]}
               for k, v in terms.items()},
        failures=sorted(fails, key=lambda f: f["seed"]), results=results)


def evaluate(world: str, robot: str | None, agent: str, seeds: int, workers: int = 2, backend: str = "local",
             on_result=None, store=None) -> Evaluation:
    """Run seeds 0..N-1 in parallel. Infrastructure failures are retried once, then listed."""
    from arena.compete.tournament import Agent, play

    w = load_world_entry(world)
    a = load_agent(agent)
    if robot:
        a = Agent(a.path, a.name, a.hash, robot, ())
    if w.players != 1:
        from arena.errors import ArenaError

        raise ArenaError(f"{w.id} is a {w.players}-player world: evaluate with `arena tournament`")
    jobs = schedule([w], [Agent(a.path, a.name, a.hash, a.robot, ())], range(seeds), record=store is not None)
    outcomes: dict[str, Outcome] = {}
    infra: list[dict] = []

    class _Collect:  # the store interface play() needs, keeping everything in memory
        def match_ids(self):
            return set()

        def add_match(self, results, replay=None, world_hash=""):
            if store is not None:
                store.add_match(results, replay, world_hash)
            return True  # every seed is evaluated, stored before or not

        def add_failure(self, mid, attempt, message):
            pass

        def claim(self, mid, owner, lease):  # an evaluation plays every seed itself: nothing to share
            return "claimed"

        def renew(self, mids, owner, lease):
            pass

        def release(self, mid, owner):
            pass

    def event(e):
        if e.kind == "result":
            outcomes[e.job.match_id] = e.outcome
        elif e.kind == "gave_up":
            infra.append({"seed": e.job.seed, "status": "INFRA", "reason": e.message})
        if on_result:
            on_result(e)

    be = make_backend(backend, workers)
    try:
        play(jobs, _Collect(), be, retries=1, on_event=event)
    finally:
        be.close()
    results = [outcomes[j.match_id].results[0] for j in jobs if j.match_id in outcomes]
    return summarise(results, infra)

"""The queue's worker: claim a job, admit its upload as `arena submit` does, play its matches.

See arena.compete.jobs for the job's life. One worker process evaluates one job at a time; its
matches run on a backend (local processes or Ray) with `workers` of them at once. The job's lease
is renewed by a thread with its own connection while the job runs, so a long match never lets it
lapse; a killed worker's job is taken over at once on the same host (its process is gone) and
after the lease elsewhere. Matches already stored are never played again: validation and
tournament.play both look in the store first, and play claims each match before it runs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from arena.compete import jobs as J
from arena.compete import tournament as T
from arena.compete.store import Store, claimant
from arena.controllers.protocol import OK
from arena.errors import ArenaError

MATCH_RETRIES = 2  # more attempts per match after an infrastructure failure (as `arena tournament`)
BACKENDS = ("local", "ray")


class _Stopped(Exception):
    """The worker was asked to stop (its stop event): the job goes back to the queue, uncounted."""


class _Heartbeat(threading.Thread):
    """Renews a job's lease every third of it, on its own connection (opened only when first due)."""

    def __init__(self, db_path, job_id: int, owner: str, lease: float = J.JOB_LEASE_S):
        super().__init__(name=f"job-{job_id}-lease", daemon=True)
        self.db_path, self.job_id, self.owner, self.lease = db_path, job_id, owner, lease
        self.halt = threading.Event()

    def run(self) -> None:
        store = None
        try:
            while not self.halt.wait(self.lease / 3):
                store = store or Store(self.db_path)
                J.renew(store, self.job_id, self.owner, self.lease)
        except Exception:  # noqa: BLE001 - a missed renewal only lets the lease run out sooner
            pass
        finally:
            if store is not None:
                store.close()

    def stop(self) -> None:
        self.halt.set()
        self.join()


def _check(workers, backend, poll_s, seeds) -> None:
    if not isinstance(workers, int) or workers < 1:
        raise ArenaError(f"workers={workers!r}: give a whole number of at least 1 (fix: e.g. --workers 1)")
    if not isinstance(seeds, int) or seeds < 1:
        raise ArenaError(f"seeds={seeds!r}: give a whole number of at least 1 (fix: e.g. --seeds 3)")
    if backend not in BACKENDS:
        raise ArenaError(f"backend={backend!r}: use local or ray (fix: --backend local)")
    if not (isinstance(poll_s, (int, float)) and poll_s > 0):
        raise ArenaError(f"poll_s={poll_s!r}: give a number of seconds above 0 (fix: e.g. --poll 1)")


def work(db_path, workers: int = 1, backend: str = "local", once: bool = False, poll_s: float = 1.0,
         stop: threading.Event | None = None, seeds: int = 3, address: str | None = None,
         log: Callable[[str], None] | None = None) -> int:
    """Evaluate queued jobs until `stop` is set (or, with once, until none is left to take);
    returns how many jobs it processed. log(line) hears what happens (the CLI prints it)."""
    from arena.compete.backends import make_backend

    _check(workers, backend, poll_s, seeds)
    say = log or (lambda _line: None)
    store = Store(db_path)
    owner = claimant()
    be = None
    done = 0
    try:
        while stop is None or not stop.is_set():
            jid = J.claim_next(store, owner)
            if jid is None:
                if once:
                    break
                if stop is not None:
                    stop.wait(poll_s)
                else:
                    time.sleep(poll_s)
                continue
            if be is None:  # a pool (or Ray) only once there is work; kept for the next job
                be = make_backend(backend, workers, address)
            done += 1
            _run(store, db_path, jid, owner, be, workers, seeds, say, stop)
    finally:
        if be is not None:
            be.close()
        store.close()
    return done


def _run(store, db_path, jid: int, owner: str, be, workers: int, seeds: int, say, stop=None) -> None:
    """One job, start to end state (or back to the queue after an arena failure, until its attempts run out)."""
    beat = _Heartbeat(db_path, jid, owner)
    beat.start()

    def step(line: str) -> None:
        """Every report is a point where a stop request takes effect (after a match is stored, before an episode)."""
        say(line)
        if stop is not None and stop.is_set():
            raise _Stopped

    try:
        _evaluate(store, jid, owner, be, workers, seeds, step)
    except (KeyboardInterrupt, SystemExit, _Stopped) as exc:
        # stopped, not crashed: the next worker resumes it (stored matches stay) without using up an attempt
        if J.requeue(store, jid, owner, "", counted=False):
            say(f"job {jid}: stopped; back in the queue")
        if not isinstance(exc, _Stopped):
            raise
    except Exception as exc:  # noqa: BLE001 - an arena failure: the job is retried, then failed
        msg = T._describe(exc)
        r = J.row(store, jid)
        attempts = r["attempts"] if r else J.MAX_ATTEMPTS
        if attempts < J.MAX_ATTEMPTS:
            J.requeue(store, jid, owner, f"attempt {attempts} failed (an arena failure, not your agent): {msg}; "
                                         "trying again")
            say(f"job {jid}: attempt {attempts} failed: {msg}; back in the queue")
        else:
            J.finish(store, jid, owner, "failed", f"the arena failed evaluating it {attempts} times (not your "
                                                  f"agent): {msg}")
            say(f"job {jid}: failed: {msg}")
    finally:
        beat.stop()


def _reject(store, jid, owner, reason, say) -> None:
    J.finish(store, jid, owner, "rejected", reason)
    say(f"job {jid}: rejected: {reason}")


def _bundled(ids) -> list:
    """The bundled worlds among these ids (as admission's declared worlds: the others are left out)."""
    out = []
    for wid in ids:
        try:
            out += J.world_entries([wid])
        except ArenaError:
            continue
    return out


def _admit(store, r: dict, owner: str, src: Path, workers: int, say):
    """(Submission, worlds) for the job: admitted now, or as admitted by an earlier attempt."""
    from arena.compete.admission import admit
    from arena.compete.submissions import Submission

    asked = J.world_entries(json.loads(r["worlds"]))
    path = Path(r["agent_path"]) if r["agent_path"] else None
    if path is not None and path.exists():  # taken over after admission: its stored copy names its worlds
        worlds = asked or _bundled(T.load_agent(path, r["name"]).worlds)
        return Submission(r["name"], r["team"], r["agent_hash"], path, False), worlds
    sub, choice = admit(src, r["name"], r["team"], J.submissions_dir(store), [w.path for w in asked],
                        workers=workers,
                        on_trials=lambda ids: say(f"job {r['id']}: trial episodes on {', '.join(ids)}"))
    J.admitted(store, r["id"], owner, sub.agent_hash, str(sub.path))
    for note in choice.notes:
        say(f"job {r['id']}: {note}")
    return sub, choice.worlds


def _stored_validation(store, sub, agent, mine, seeds):
    """The validation as it was when its episode (seed 0 on a solo world) is stored already with
    status OK (an earlier attempt, or the same agent before): it is not played again."""
    from arena.compete.admission import Validation

    if not mine or mine[0].players != 1:
        return None
    w = mine[0]
    first = T.schedule([w], [agent], [0])[0]
    statuses = store.match_statuses(first.match_id)
    if not statuses or any(s != OK for s in statuses):
        return None
    store.add_submission(sub.agent_hash, sub.name, sub.owner, str(sub.path), "accepted", "")  # as validate() does
    agents = T.roster(store)
    jobs = [j for j in T.schedule(mine, agents, range(seeds)) if any(p["agent_hash"] == sub.agent_hash
                                                                     for p in j.players)]
    stored = store.match_ids()
    return Validation(w.id, True, worlds=mine, agents=agents, jobs=jobs,
                      pending=[j for j in jobs if j.match_id not in stored])


def _evaluate(store, jid: int, owner: str, be, workers: int, seeds: int, say) -> None:
    from arena.compete.admission import validate

    r = J.row(store, jid)
    src = J.uploads_dir(store) / r["upload"] if r["upload"] else None
    if src is None or not src.is_file():
        J.finish(store, jid, owner, "failed", f"its upload {J.shown(J.label(r['filename']))} is missing from the "
                                              "store's uploads folder (fix: submit it again)")
        say(f"job {jid}: failed: upload missing")
        return
    say(f"job {jid}: {r['team']}/{r['name']} ({J.label(r['filename'])}), attempt {r['attempts']}")
    try:
        sub, worlds = _admit(store, r, owner, src, workers, say)
        agent = T.load_agent(sub.path, sub.name)
    except ArenaError as exc:  # SubmissionError, a bad agent.toml, ...: what `arena submit` refuses
        _reject(store, jid, owner, J.clean(str(exc), src, r["filename"]), say)
        return
    mine = [w for w in worlds if T.targets(agent, w)]
    v = _stored_validation(store, sub, agent, mine, seeds)
    if v is None:
        try:
            v = validate(sub, store, worlds, seeds,
                         on_episode=lambda world: say(f"job {jid}: validation episode on {world} (seed 0)"))
        except ArenaError as exc:
            if mine:
                raise  # validation could not run: an arena failure, retried
            _reject(store, jid, owner, str(exc), say)
            return
    if not v.accepted:
        _reject(store, jid, owner, f"the validation episode on {v.world} (seed 0) failed: {v.reason}", say)
        return
    ids = [j.match_id for j in v.jobs]
    have = set(ids) & store.match_ids()

    def report() -> None:
        J.progress(store, jid, owner, [m for m in ids if m in have], len(ids))

    def on_event(e) -> None:
        if e.kind in ("result", "elsewhere"):
            have.add(e.job.match_id)
            report()
            how = "played" if e.kind == "result" else "stored by another process"
            say(f"job {jid}: {e.job.world_id} seed {e.job.seed} {how}, match {e.job.match_id}")
        else:
            say(f"job {jid}: {e.job.world_id} seed {e.job.seed}: arena failure (attempt {e.attempt + 1}"
                f"{', gave up' if e.kind == 'gave_up' else ''}): {e.message}")

    report()
    summary = T.play(v.pending, store, be, retries=MATCH_RETRIES, on_event=on_event) if v.pending else None
    if summary is not None and summary.gave_up:
        J.finish(store, jid, owner, "failed", f"{len(summary.gave_up)} of its {len(ids)} matches failed every "
                                              f"attempt (arena failures, not your agent; the store's failures "
                                              f"table has them): {', '.join(summary.gave_up)}")
        say(f"job {jid}: failed: {len(summary.gave_up)} match(es) gave up")
        return
    if J.finish(store, jid, owner, "done"):
        say(f"job {jid}: done, {len(ids)} match(es): {', '.join(ids)}")
    else:
        say(f"job {jid}: another worker took it over meanwhile; its state is left to that worker")

"""The submission queue: an upload becomes a job in the results store; workers evaluate it.

A job goes queued -> running -> done | rejected | failed:
- `enqueue` checks what is cheap at once (the agent's name, the worlds, the upload's size and
  extension), saves the upload as <db folder>/uploads/<job id>.zip or .py (named by the job id,
  never by anything the uploader chose) and inserts a `queued` job.
- A worker (`work`, arena.compete.worker; `arena worker`) claims the oldest job with a lease in
  the jobs table, renewed while it works. A job whose worker is gone (same host: its process
  ended; elsewhere: its lease ran out) is taken over by the next worker; after MAX_ATTEMPTS takes
  it is `failed`. The worker admits the upload with the same code as `arena submit`
  (arena.compete.admission: content checks, worlds, stored copy, validation episode): a refusal
  there makes the job `rejected` with that reason. Then it plays the agent's matches (worlds x
  seeds) with tournament.play on a backend; the store's match ids and claims mean a taken-over job
  plays only what is not stored yet. At the end it is `done` with its match ids.
Never imports pybullet at import time (the web service imports this module).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path, PurePosixPath

from arena.compete.store import LEASE_S, _owner_alive
from arena.compete.submissions import SubmissionError, check_name, read_submission, shown
from arena.compete.teams import RateLimitError, has_team, rate_limit
from arena.errors import ArenaError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
EXTENSIONS = (".zip", ".py")
STATUSES = ("queued", "running", "done", "failed", "rejected")
JOB_LEASE_S = LEASE_S  # a worker's hold on a job lasts this long unless renewed (every third of it)
MAX_ATTEMPTS = 3  # workers that may take a job before it is failed (a kill or crash uses one)
MAX_FILENAME = 255  # characters of the uploaded file's name kept for display

_COLUMNS = ("id", "team", "name", "filename", "upload", "worlds", "status", "reason", "agent_hash", "agent_path",
            "match_ids", "done", "total", "owner", "expires", "attempts", "created", "started", "finished")


def uploads_dir(store) -> Path:
    """<db folder>/uploads: where uploads wait for a worker (absolute, so every process agrees)."""
    return Path(os.path.abspath(store.path)).parent / "uploads"


def submissions_dir(store) -> Path:
    """<db folder>/submissions: the stored copies (the same folder `arena submit --db` uses)."""
    return Path(os.path.abspath(store.path)).parent / "submissions"


def label(filename: str) -> str:
    """An uploaded file's name for messages: its last part, escaped, without quotes."""
    name = PurePosixPath(str(filename).replace("\\", "/")).name or "upload"
    return shown(name[:MAX_FILENAME])[1:-1]


def upload_ext(filename: str) -> str:
    """.zip or .py; SubmissionError for anything else."""
    ext = PurePosixPath(str(filename).replace("\\", "/")).suffix.lower()
    if ext not in EXTENSIONS:
        raise SubmissionError(f"{shown(label(filename))}: upload a .zip of the agent folder or a single .py "
                              f"controller, not {shown(ext) if ext else 'a file without an extension'} "
                              "(fix: zip the agent folder, or upload controller.py)")
    return ext


def check_size(upload: bytes, filename: str) -> None:
    if not isinstance(upload, (bytes, bytearray)):
        raise SubmissionError(f"{shown(label(filename))}: the upload is not file content (fix: send the file's bytes)")
    if len(upload) > MAX_UPLOAD_BYTES:
        raise SubmissionError(f"{shown(label(filename))}: {len(upload)} bytes, over the {MAX_UPLOAD_BYTES >> 20} MB "
                              "upload limit (fix: leave out what the controller does not need)")
    if not upload:
        raise SubmissionError(f"{shown(label(filename))}: the upload is empty (fix: choose the agent's file)")


def world_entries(names) -> list:
    """The bundled worlds named (file name or world id, any case), as tournament.World entries, in
    order, each once. Only bundled worlds: a name from a request never becomes a path to open."""
    from arena.compete import tournament as T
    from arena.content import listing, read_world_id

    known = []
    for f in listing("worlds"):
        try:
            known.append((f, read_world_id(f)))
        except ArenaError:
            continue
    out: dict = {}
    for n in names:
        text = n if isinstance(n, str) else repr(n)
        hit = next((f for f, wid in known if text in (f.stem, f.name) or text.lower() == wid.lower()), None)
        if hit is None:
            listed = ", ".join(f"{f.stem} ({wid})" for f, wid in known) or "(none)"
            raise SubmissionError(f"no world {shown(text)}: give a bundled world's name or id: {listed}")
        w = T.load_world_entry(hit)
        out.setdefault(w.id, w)
    return list(out.values())


def clean(message: str, path: Path, filename: str) -> str:
    """A message about a file saved here, naming the uploaded file instead (no server paths)."""
    # a folder's message names the full path; a single .py's, its file name
    return message.replace(str(path), label(filename)).replace(path.name, label(filename))


def check_upload(upload: bytes, filename: str, store=None) -> None:
    """The content checks `arena submit` runs (zip bombs, ../ paths, pickles, no controller, ...)
    on the bytes, via a temporary file in the store's uploads/tmp (the system's temp folder without
    a store); SubmissionError naming the uploaded file."""
    ext = upload_ext(filename)
    check_size(upload, filename)
    tmp_dir = uploads_dir(store) / "tmp" if store is not None else Path(tempfile.gettempdir())
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=ext, prefix="check-", dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(upload)
        read_submission(tmp)
    except SubmissionError as exc:
        raise SubmissionError(clean(str(exc), Path(tmp), filename)) from None
    finally:
        os.unlink(tmp)


def enqueue(store, team: str, name: str, upload: bytes, filename: str, worlds: list[str]) -> int:
    """Check the cheap things, save the upload and queue a job; returns its id. SubmissionError
    (RateLimitError when the team submitted too often) with the reason otherwise."""
    check_name(name, fix="the field `name`, e.g. name=my_agent")
    ext = upload_ext(filename)
    check_size(upload, filename)
    ids = [w.id for w in world_entries(list(worlds))]
    if not has_team(store, team):
        raise SubmissionError(f"no team {shown(str(team))} in {store.path} (fix: arena team add NAME --db DB)")
    folder = uploads_dir(store)
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    with store.transaction() as db:
        reason = rate_limit(store, team)  # again inside the write lock: two requests at once count as two
        if reason:
            raise RateLimitError(reason)
        cur = db.execute("INSERT INTO jobs (team, name, filename, upload, worlds, status, reason, agent_hash, "
                         "agent_path, match_ids, done, total, owner, expires, attempts, created) "
                         "VALUES (?,?,?,'',?,'queued','','','','[]',0,0,'',0,0,?)",
                         (team, name, str(filename)[:MAX_FILENAME], json.dumps(ids), time.time()))
        jid = cur.lastrowid
        stored = f"{jid}{ext}"
        fd, tmp = tempfile.mkstemp(suffix=ext, prefix="incoming-", dir=folder / "tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(upload)
            os.replace(tmp, folder / stored)  # atomic: a worker never sees half a file
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        db.execute("UPDATE jobs SET upload=? WHERE id=?", (stored, jid))
    return jid


# -- reading ---------------------------------------------------------------------------------------
def _public(row: tuple) -> dict:
    r = dict(zip(_COLUMNS, row, strict=True))
    return {"id": r["id"], "team": r["team"], "name": r["name"], "filename": r["filename"],
            "worlds": json.loads(r["worlds"]), "status": r["status"], "reason": r["reason"],
            "match_ids": json.loads(r["match_ids"]), "progress": {"done": r["done"], "total": r["total"]},
            "created": r["created"], "started": r["started"], "finished": r["finished"],
            "agent_hash": r["agent_hash"]}


def row(store, job_id: int) -> dict | None:
    """Every column of a job (the worker's view, with upload, owner, lease and attempts)."""
    found = store.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE id=?", (int(job_id),)).fetchone()
    return dict(zip(_COLUMNS, found, strict=True)) if found else None


def job(store, job_id: int) -> dict | None:
    try:
        jid = int(job_id)
    except (TypeError, ValueError):
        return None
    if not 0 < jid < 2**63:  # ids are SQLite rowids; a larger number cannot even be asked for
        return None
    found = store.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE id=?", (jid,)).fetchone()
    return _public(found) if found else None


def jobs(store, team: str | None = None, limit: int = 100) -> list[dict]:
    """Jobs, newest first (one team's when team is given)."""
    q = f"SELECT {', '.join(_COLUMNS)} FROM jobs" + (" WHERE team=?" if team is not None else "")
    q += f" ORDER BY id DESC LIMIT {max(0, int(limit))}"
    return [_public(r) for r in store.db.execute(q, (team,) if team is not None else ())]


# -- the worker's side of the table ---------------------------------------------------------------
def claim_next(store, owner: str, lease: float = JOB_LEASE_S, now: float | None = None) -> int | None:
    """Take the oldest job that is queued, or running under a worker that is gone; None when there
    is none. A job taken MAX_ATTEMPTS times already is failed instead."""
    now = time.time() if now is None else now
    with store.transaction() as db:
        rows = db.execute("SELECT id, status, owner, expires, attempts FROM jobs WHERE status IN ('queued', "
                          "'running') ORDER BY id").fetchall()
        for jid, status, holder, expires, attempts in rows:
            if status == "running" and (holder == owner or (expires > now and _owner_alive(holder))):
                continue
            if attempts >= MAX_ATTEMPTS:
                db.execute("UPDATE jobs SET status='failed', reason=?, owner='', finished=? WHERE id=?",
                           (f"the worker evaluating it stopped {attempts} times before it finished (killed or "
                            "crashed); not tried again (fix: submit it again; if it fails again, tell the arena's "
                            "maintainers)", now, jid))
                continue
            db.execute("UPDATE jobs SET status='running', owner=?, expires=?, attempts=attempts+1, "
                       "started=COALESCE(started, ?) WHERE id=?", (owner, now + lease, now, jid))
            return jid
    return None


def renew(store, job_id: int, owner: str, lease: float = JOB_LEASE_S) -> bool:
    """Extend the worker's lease; False when it no longer holds the job."""
    with store.transaction() as db:
        cur = db.execute("UPDATE jobs SET expires=? WHERE id=? AND owner=? AND status='running'",
                         (time.time() + lease, job_id, owner))
    return cur.rowcount == 1


def admitted(store, job_id: int, owner: str, agent_hash: str, agent_path: str) -> None:
    with store.transaction() as db:
        db.execute("UPDATE jobs SET agent_hash=?, agent_path=? WHERE id=? AND owner=?",
                   (agent_hash, agent_path, job_id, owner))


def progress(store, job_id: int, owner: str, match_ids: list[str], total: int) -> None:
    with store.transaction() as db:
        db.execute("UPDATE jobs SET match_ids=?, done=?, total=? WHERE id=? AND owner=?",
                   (json.dumps(match_ids), len(match_ids), total, job_id, owner))


def finish(store, job_id: int, owner: str, status: str, reason: str = "") -> bool:
    """End the job (done, rejected or failed); False when this worker no longer held it."""
    assert status in ("done", "rejected", "failed"), status
    with store.transaction() as db:
        cur = db.execute("UPDATE jobs SET status=?, reason=?, owner='', expires=0, finished=? WHERE id=? AND owner=?",
                         (status, reason[:4000], time.time(), job_id, owner))
    return cur.rowcount == 1


def requeue(store, job_id: int, owner: str, reason: str, counted: bool = True) -> bool:
    """Put a job back in the queue (counted=False: given back, not crashed on); False when this
    worker no longer held it (it had ended it, or lost it to another)."""
    with store.transaction() as db:
        cur = db.execute("UPDATE jobs SET status='queued', reason=?, owner='', expires=0, attempts=attempts-? "
                   "WHERE id=? AND owner=?", (reason[:4000], 0 if counted else 1, job_id, owner))
    return cur.rowcount == 1


def work(db_path, workers: int = 1, backend: str = "local", once: bool = False, poll_s: float = 1.0,
         stop=None, seeds: int = 3, address: str | None = None, log=None) -> int:
    """The worker loop (arena.compete.worker.work): returns the number of jobs it processed."""
    from arena.compete.worker import work as _work

    return _work(db_path, workers=workers, backend=backend, once=once, poll_s=poll_s, stop=stop, seeds=seeds,
                 address=address, log=log)

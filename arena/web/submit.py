"""A submission from the form or the JSON API: token, rate limit, fields, content checks, enqueue.

Each refusal is a Refusal with the HTTP status and a one-line reason that says what to do. The
order matters: the API checks the token and the rate limit before it reads the body (a stranger
cannot make the server read 5 MB); the form reads its capped body first (the token is inside).
Nothing is written before every check passed, and then only by arena.compete.jobs.enqueue, inside
the store's folder, under the job's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from arena.web import security, worlds

SUFFIXES = (".zip", ".py")
TOKEN_FIX = "ask the arena's operator for your team's token (`arena team add NAME --db DB` prints one)"


@dataclass
class Refusal(Exception):
    status: int
    title: str
    message: str


def _jobs():
    from arena.compete import jobs

    return jobs


def body_limit() -> int:
    return _jobs().MAX_UPLOAD_BYTES + security.FORM_OVERHEAD


def check_team(site, token: str | None) -> str:
    """The team of a token (401 when missing or unknown), if it may submit now (429 otherwise)."""
    from arena.compete import teams

    if not token:
        raise Refusal(401, "No team token", f"a submission needs your team's token (fix: {TOKEN_FIX})")
    store = site.store()
    team = teams.team_for_token(store, token)
    if team is None:
        raise Refusal(401, "Unknown team token", f"that token belongs to no team (fix: {TOKEN_FIX})")
    wait = teams.rate_limit(store, team)
    if wait:
        raise Refusal(429, "Too many submissions", wait)
    return team


async def read_form(request) -> FormData:
    try:
        return await security.capped_form(request, body_limit())
    except security.TooLarge as exc:
        raise Refusal(413, "Upload too large", f"{exc} (fix: upload at most "
                      f"{_jobs().MAX_UPLOAD_BYTES // (1024 * 1024)} MB: leave out logs, datasets and caches)") from None
    except security.BadForm as exc:
        raise Refusal(422, "Unreadable form", f"the request is not a readable multipart form ({exc}) (fix: send "
                      "multipart/form-data with the fields file, name and world)") from None


def _field(form: FormData, key: str) -> str:
    v = form.get(key)
    return v.strip() if isinstance(v, str) else ""


def chosen_worlds(values: list) -> list[str]:
    """World names from the form, each a bundled world's name or id; 422 for any other text."""
    out = []
    for v in values:
        if not isinstance(v, str) or not v.strip():
            continue
        w = worlds.find(v)
        if w is None:
            known = ", ".join(f"{x.name} ({x.id})" for x in worlds.catalogue())
            raise Refusal(422, "Unknown world", f"no world {v.strip()[:80]!r} (fix: name one of: {known})")
        if w.name not in out:
            out.append(w.name)
    return out


async def take(site, form: FormData, team: str) -> int:
    """Check the form's fields and the upload, then enqueue it; returns the job id."""
    from arena.compete.submissions import SubmissionError, check_name

    jobs = _jobs()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Refusal(422, "No file", "the form has no file (fix: attach a .zip of your agent folder or a single .py "
                      "as the field `file`)")
    name = _field(form, "name")
    if not name:
        raise Refusal(422, "No name", "the submission needs a name (fix: e.g. name=my_agent: 1-40 characters a-z, "
                      "0-9, _ or -)")
    try:
        check_name(name, fix="the field `name`, e.g. name=my_agent")
    except SubmissionError as exc:
        raise Refusal(422, "Name refused", str(exc)) from None
    world_names = chosen_worlds(form.getlist("world"))
    # only the suffix of the client's file name is used: the stored file is named by the job id
    suffix = PurePosixPath(upload.filename.replace("\\", "/")).suffix.lower()
    if suffix not in SUFFIXES:
        raise Refusal(422, "Not a .zip or .py", f"the file must be a .zip of an agent folder or a single .py, not "
                      f"{suffix or 'a file without an extension'} (fix: zip the folder that holds controller.py)")
    data = await upload.read(jobs.MAX_UPLOAD_BYTES + 1)
    await upload.close()
    if len(data) > jobs.MAX_UPLOAD_BYTES:
        raise Refusal(413, "Upload too large", f"the file is larger than {jobs.MAX_UPLOAD_BYTES // (1024 * 1024)} MB "
                      "(fix: leave out logs, datasets and caches)")
    filename = upload.filename  # shown on the job page only; the file is saved as uploads/<job id><suffix>

    def checked_enqueue() -> int:
        from arena.compete.teams import RateLimitError

        store = site.store()
        try:
            jobs.check_upload(data, filename, store)  # its temporary copy stays inside the store's folder
            return jobs.enqueue(store, team, name, data, filename, world_names)
        except RateLimitError as exc:
            raise Refusal(429, "Too many submissions", str(exc)) from None
        except SubmissionError as exc:
            raise Refusal(422, "Submission refused", str(exc)) from None

    return await run_in_threadpool(checked_enqueue)

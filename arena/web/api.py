"""The JSON API (docs/web.md): submissions, jobs, leaderboards, trajectories.

Errors are JSON too, {"error": "one line: what is wrong (fix: what to do)"}, with the status that
says which kind: 401 token, 404 unknown id, 409 cannot re-simulate, 413 too large, 422 refused
content, 429 rate limit.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from arena.errors import ArenaError
from arena.web import queries, submit, trajectory, worlds


def _site(request):
    return request.app.state.site


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def not_found(request):
    return error(404, f"no API endpoint {request.method} {request.url.path} (fix: see docs/web.md)")


def _bearer(request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def post_submission(request):
    """multipart: file, name, world (repeatable); Authorization: Bearer TOKEN -> 201 {"job": id}."""
    site = _site(request)
    try:
        team = await run_in_threadpool(submit.check_team, site, _bearer(request))
        form = await submit.read_form(request)
        job_id = await submit.take(site, form, team)
    except submit.Refusal as r:
        headers = {"www-authenticate": 'Bearer realm="arena"'} if r.status == 401 else None
        return error(r.status, f"{r.title.lower()}: {r.message}", headers)
    return JSONResponse({"job": job_id}, status_code=201, headers={"location": f"/api/jobs/{job_id}"})


def get_job(request):
    from arena.compete import jobs

    raw = request.path_params["job_id"]
    if not raw.isdigit():
        return error(404, f"no job {raw[:40]!r}: a job id is a number (the `job` that POST /api/submissions returned)")
    j = jobs.job(_site(request).store(), int(raw))
    if j is None:
        return error(404, f"no job {raw}")
    keys = ("id", "status", "reason", "match_ids", "progress", "name", "team", "worlds", "agent_hash", "created",
            "started", "finished")
    return JSONResponse(queries.finite({k: j.get(k) for k in keys}))


def get_leaderboard(request):
    """?world=NAME: {"world": id, "standings": [...]}; no world: {"world": null, "tables": {...}}."""
    from arena.compete import boards

    store = _site(request).store()
    name = request.query_params.get("world")
    if name:
        w = worlds.find(name)
        wid = w.id if w else next((x for x in store.worlds() if x.lower() == name.strip().lower()), None)
        if wid is None:
            known = ", ".join(f"{x.name} ({x.id})" for x in worlds.catalogue())
            return error(404, f"no world {name[:80]!r} (fix: name one of: {known})")
        table = boards.board(store, wid).get(wid, [])
        return JSONResponse(queries.finite({"world": wid, "standings": [s.as_dict() for s in table]}))
    tables = boards.board(store)
    return JSONResponse(queries.finite({"world": None, "tables": {k: [s.as_dict() for s in v]
                                                                  for k, v in tables.items()}}))


def get_trajectory(request):
    mid = request.path_params["match_id"]
    if not trajectory.valid_match_id(mid):
        return error(404, f"no match {mid[:40]!r}: a match id is 32 hex digits")
    site = _site(request)
    try:
        data = trajectory.cached(site.store(), site.cache, mid)
    except trajectory.NoReplay as exc:
        return error(404, str(exc))
    except ArenaError as exc:
        return error(409, str(exc))
    # stored gzipped: sent as is to clients that take gzip (all browsers), inflated for the rest
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(data, media_type="application/json",
                        headers={"content-encoding": "gzip", "vary": "accept-encoding",
                                 "cache-control": "public, max-age=86400"})
    import gzip

    return Response(gzip.decompress(data), media_type="application/json", headers={"vary": "accept-encoding"})

"""The HTML pages: leaderboard, worlds, agent, match (with the replay player), submit, jobs.

Every page is a jinja2 template with autoescape on: names, reasons and controller output are
text, never markup. Handlers that touch the store are plain functions (Starlette runs them in its
thread pool); the form's POST is async because it streams the upload.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from arena.errors import ArenaError
from arena.web import queries, security, submit, trajectory, worlds


def _site(request):
    return request.app.state.site


def render(request, name: str, status: int = 200, **context) -> Response:
    site = _site(request)
    return site.templates.TemplateResponse(request, name, context, status_code=status)


def refusal_page(request, status: int, title: str, message: str, back: str = "") -> Response:
    return render(request, "error.html", status=status, code=status, title=title, message=message, back=back)


def not_found(request, exc) -> Response:
    detail = getattr(exc, "detail", "") or "nothing here"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": detail}, status_code=404)
    return refusal_page(request, 404, "Not found", detail)


def not_allowed(request, exc) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": f"{request.method} is not allowed here"}, status_code=405)
    return refusal_page(request, 405, "Method not allowed", f"{request.method} is not allowed on this page")


# -- leaderboard and worlds ---------------------------------------------------------------------------
def _tables(store, world_id: str | None = None) -> dict:
    from arena.compete import boards

    return boards.board(store, world_id)


def leaderboard(request):
    store = _site(request).store()
    tables = _tables(store)
    order = (["overall"] if "overall" in tables else []) + sorted(w for w in tables if w != "overall")
    names = {w.id: w.name for w in worlds.catalogue()}
    return render(request, "board.html", tables=[(t, names.get(t, t), tables[t]) for t in order],
                  matches=len(store.match_ids()))


def worlds_page(request):
    store = _site(request).store()
    tables = _tables(store)
    base = worlds.baseline_hashes()
    rows = []
    for w in worlds.catalogue():
        baselines = [s for s in tables.get(w.id, []) if s.agent_hash in base]
        rows.append((w, baselines))
    return render(request, "worlds.html", worlds=rows)


def world_anchor(request):
    """/worlds/line-follow (or /worlds/LineFollow-v0): that world's section of the worlds page."""
    w = worlds.find(request.path_params["name"])
    if w is None:
        raise HTTPException(404, f"no world {request.path_params['name'][:80]!r}")
    return RedirectResponse(str(request.url_for("worlds")) + "#" + w.name, status_code=307)


def world_picture(request):
    w = worlds.find(request.path_params["name"])
    if w is None:
        raise HTTPException(404, f"no world {request.path_params['name'][:80]!r}")
    return FileResponse(worlds.picture(w, _site(request).cache), media_type="image/png",
                        headers={"cache-control": "public, max-age=3600"})


# -- agents and matches ---------------------------------------------------------------------------------
def agent_page(request):
    h = request.path_params["agent_hash"]
    if not security.valid_hex(h):
        raise HTTPException(404, "an agent is named by its code hash (hex digits)")
    store = _site(request).store()
    runs = queries.agent_rows(store, h)
    subs = queries.agent_submissions(store, h)
    job_list = [j for j in _job_list(store) if j.get("agent_hash") == h]
    if not runs and not subs and not job_list:
        raise HTTPException(404, f"no agent with code hash {h}")
    names = sorted({r["agent"] for r in runs} | {s["name"] for s in subs} | {j["name"] for j in job_list})
    failures = [r for r in runs if r["status"] != "OK"]
    return render(request, "agent.html", agent_hash=h, names=names, runs=runs, failures=failures, submissions=subs,
                  jobs=job_list, robots=sorted({r["robot"] for r in runs}),
                  worlds=sorted({r["world"] for r in runs}))


def match_page(request):
    mid = request.path_params["match_id"]
    if not trajectory.valid_match_id(mid):
        raise HTTPException(404, "a match is named by its id: 32 hex digits")
    store = _site(request).store()
    rows = queries.match_rows(store, mid)
    if not rows:
        raise HTTPException(404, f"no match {mid} in this store")
    world = worlds.by_id(rows[0]["world"])
    return render(request, "match.html", mid=mid, rows=rows, world=world, has_replay=store.replay_data(mid) is not None)


def match_mat(request):
    mid = request.path_params["match_id"]
    if not trajectory.valid_match_id(mid):
        raise HTTPException(404, "a match is named by its id: 32 hex digits")
    site = _site(request)
    try:
        path = trajectory.mat_png(site.store(), site.cache, mid)
    except trajectory.NoReplay as exc:
        raise HTTPException(404, str(exc)) from None
    except ArenaError as exc:
        return refusal_page(request, 409, "Cannot re-simulate", str(exc))
    return FileResponse(path, media_type="image/png", headers={"cache-control": "public, max-age=86400"})


# -- submissions and jobs ---------------------------------------------------------------------------------
def _job_list(store, team: str | None = None, limit: int = 100) -> list[dict]:
    from arena.compete import jobs

    return jobs.jobs(store, team=team, limit=limit)


def submit_form(request):
    site = _site(request)
    cookie = request.cookies.get(security.CSRF_COOKIE) or security.new_csrf_cookie()
    resp = render(request, "submit.html", csrf=security.csrf_token(site.secret, cookie), worlds=worlds.catalogue(),
                  limit_mb=submit._jobs().MAX_UPLOAD_BYTES // (1024 * 1024))
    resp.set_cookie(security.CSRF_COOKIE, cookie, httponly=True, samesite="strict", path="/submit")
    return resp


async def submit_post(request):
    site = _site(request)
    back = str(request.url_for("submit"))
    cookie = request.cookies.get(security.CSRF_COOKIE)
    if not cookie:  # refused before the body is read
        return refusal_page(request, 403, "Form expired", "the form's security cookie is missing (fix: open the "
                            "submit page again and send the form from there; cookies must be allowed)", back)
    try:
        form = await submit.read_form(request)
        if not security.csrf_ok(site.secret, cookie, form.get(security.CSRF_FIELD)):
            return refusal_page(request, 403, "Form expired", "the form's security token is missing or does not "
                                "match (fix: open the submit page again and send the form from there)", back)
        token = form.get("token")
        team = await run_in_threadpool(submit.check_team, site, token.strip() if isinstance(token, str) else None)
        job_id = await submit.take(site, form, team)
    except submit.Refusal as r:
        return refusal_page(request, r.status, r.title, r.message, back)
    return RedirectResponse(str(request.url_for("job", job_id=job_id)), status_code=303)


def jobs_page(request):
    return render(request, "jobs.html", jobs=_job_list(_site(request).store(), limit=100))


def job_page(request):
    from arena.compete import jobs

    j = jobs.job(_site(request).store(), request.path_params["job_id"])
    if j is None:
        raise HTTPException(404, f"no job {request.path_params['job_id']}")
    return render(request, "job.html", job=j)

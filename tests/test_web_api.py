"""The web arena through Starlette's test client: pages, the JSON API, and every refusal.

Security: names and reasons rendered escaped, CSRF on the form, tokens, rate limits, the upload
cap, zip bombs and ../ paths refused with nothing written outside the store. One test runs a real
evaluation (the queue's worker, in process) and follows it to the leaderboard and the frames.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from arena.compete import jobs, teams  # noqa: E402
from arena.compete.store import Store  # noqa: E402
from arena.web.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONTROLLER = (ROOT / "agents" / "bang_bang" / "controller.py").read_bytes()


@pytest.fixture
def site(tmp_path):
    """(client, db path, a team's token); the store lives in tmp_path/store."""
    db = tmp_path / "store" / "results.sqlite"
    store = Store(db)
    token = teams.add_team(store, "alpha")
    store.close()
    with TestClient(create_app(db)) as client:
        yield client, db, token


def tree(folder: Path, skip: Path | None = None) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if skip is None or skip not in p.parents}


def queued(db) -> list[dict]:
    return jobs.jobs(Store(db))


def post_api(client, token, files, name="mine", worlds=("line-follow",), headers=None):
    h = {"authorization": f"Bearer {token}"} if token else {}
    h.update(headers or {})
    return client.post("/api/submissions", files=files, data={"name": name, "world": list(worlds)}, headers=h)


def form_csrf(client) -> str:
    page = client.get("/submit")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)


def post_form(client, token, files, name="mine", csrf=None, worlds=("line-follow",)):
    data = {"token": token, "name": name, "world": list(worlds), "csrf": csrf if csrf is not None else form_csrf(client)}
    return client.post("/submit", files=files, data=data, follow_redirects=False)


def zip_of(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_every_page_renders_over_an_empty_store(site):
    client, _, _ = site
    board = client.get("/")
    assert board.status_code == 200 and "No results yet" in board.text
    assert "content-security-policy" in board.headers and "'unsafe-inline'" not in board.headers[
        "content-security-policy"]
    worlds = client.get("/worlds")
    assert worlds.status_code == 200 and "LineFollow-v0" in worlds.text and "laps" in worlds.text  # terms
    assert "RoboGames" in worlds.text  # the rules, from the world file's header
    pic = client.get("/worlds/line-follow.png")
    assert pic.status_code == 200 and pic.content[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("line-follow", "LineFollow-v0"):  # a world's own address: its section of the worlds page
        one = client.get(f"/worlds/{name}", follow_redirects=False)
        assert one.status_code == 307 and one.headers["location"].endswith("/worlds#line-follow")
    assert client.get("/worlds/no-such-world").status_code == 404
    assert client.get("/jobs").status_code == 200
    assert client.get("/api/leaderboard").json() == {"world": None, "tables": {}}


def test_a_hostile_name_is_refused_and_shown_as_text(site):
    client, db, token = site
    hostile = "<script>alert(1)</script>"
    page = post_form(client, token, {"file": ("c.py", CONTROLLER)}, name=hostile)
    assert page.status_code == 422
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    api = post_api(client, token, {"file": ("c.py", CONTROLLER)}, name=hostile)
    assert api.status_code == 422 and "name" in api.json()["error"]
    bad_file = post_form(client, token, {"file": ("<img src=x onerror=alert(1)>.exe", b"x")})
    assert bad_file.status_code == 422 and "<img" not in bad_file.text
    assert queued(db) == []


def test_the_form_needs_its_csrf_cookie_and_token(site):
    client, db, token = site
    form_csrf(client)  # sets the cookie
    wrong = post_form(client, token, {"file": ("c.py", CONTROLLER)}, csrf="0" * 64)
    assert wrong.status_code == 403 and "security token" in wrong.text
    client.cookies.clear()
    missing = client.post("/submit", files={"file": ("c.py", CONTROLLER)},
                          data={"token": token, "name": "mine", "csrf": "0" * 64}, follow_redirects=False)
    assert missing.status_code == 403 and "cookie" in missing.text
    assert queued(db) == []


def test_tokens_are_checked(site):
    client, db, token = site
    none = post_api(client, None, {"file": ("c.py", CONTROLLER)})
    assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Bearer")
    assert "arena team add" in none.json()["error"]
    assert post_api(client, token + "x", {"file": ("c.py", CONTROLLER)}).status_code == 401
    page = post_form(client, "not-a-token", {"file": ("c.py", CONTROLLER)})
    assert page.status_code == 401 and "Unknown team token" in page.text
    assert queued(db) == []


def test_a_form_with_thousands_of_fields_is_one_clear_json_error(site):
    client, db, token = site
    r = post_api(client, token, {"file": ("c.py", CONTROLLER)}, worlds=["line-follow"] * 5000)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/json"), r.text
    assert "Too many fields" in r.json()["error"] and "(fix: " in r.json()["error"]
    assert queued(db) == []


def test_the_rate_limit_answers_429(site, monkeypatch):
    client, db, token = site
    monkeypatch.setenv("ARENA_SUBMIT_LIMIT", "1")
    first = post_api(client, token, {"file": ("c.py", CONTROLLER)})
    assert first.status_code == 201, first.text
    second = post_api(client, token, {"file": ("c.py", CONTROLLER)})
    assert second.status_code == 429 and "limit is 1" in second.json()["error"]
    page = post_form(client, token, {"file": ("c.py", CONTROLLER)})
    assert page.status_code == 429 and "limit is 1" in page.text
    assert len(queued(db)) == 1


def test_an_oversize_upload_is_refused_before_it_is_stored(site):
    client, db, token = site
    big = b"#" * (jobs.MAX_UPLOAD_BYTES + 128 * 1024)
    api = post_api(client, token, {"file": ("c.py", big)})
    assert api.status_code == 413 and "MB" in api.json()["error"]
    page = post_form(client, token, {"file": ("c.py", big)})
    assert page.status_code == 413 and "Upload too large" in page.text

    def chunks():  # no Content-Length: the cap is counted as the body streams in
        yield b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.py\"\r\n\r\n"
        for _ in range(12):
            yield b"#" * (512 * 1024)
    streamed = client.post("/api/submissions", content=chunks(), headers={
        "authorization": f"Bearer {token}", "content-type": "multipart/form-data; boundary=x"})
    assert streamed.status_code == 413
    assert queued(db) == [] and not list((db.parent / "uploads").glob("*.py"))


@pytest.mark.parametrize("kind", ["bomb", "traversal", "absolute"])
def test_zip_bombs_and_escaping_paths_are_refused_with_nothing_written_outside_the_store(site, tmp_path, kind):
    client, db, token = site
    if kind == "bomb":  # 10 MB of zeros deflate to about 10 kB: far over the ratio a member may inflate by
        data = zip_of({"controller.py": CONTROLLER, "weights.bin": b"\0" * (10 * 1024 * 1024)})
    elif kind == "traversal":
        data = zip_of({"controller.py": CONTROLLER, "../../escaped.py": b"print('out')\n"})
    else:
        data = zip_of({"controller.py": CONTROLLER, str(tmp_path / "escaped.py"): b"print('out')\n"})
    before = tree(tmp_path, skip=db.parent)
    page = post_form(client, token, {"file": ("agent.zip", data)})
    assert page.status_code == 422 and 'id="reason"' in page.text
    assert "zip bomb" in page.text if kind == "bomb" else "path" in page.text
    api = post_api(client, token, {"file": ("agent.zip", data)})
    assert api.status_code == 422 and api.json()["error"]
    assert tree(tmp_path, skip=db.parent) == before  # nothing appeared outside the store's folder
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path.parent / "escaped.py").exists()
    assert queued(db) == [] and not list((db.parent / "uploads").glob("*.zip"))


def test_no_request_reaches_a_file_outside_the_store(site, tmp_path):
    client, _, _ = site
    secret = tmp_path / "secret.toml"
    secret.write_text('id = "Secret-v0"\n')
    for path in ("/matches/..%2F..%2Fetc%2Fpasswd", "/agents/..%2Fsecret", "/static/..%2F..%2Fapp.py",
                 "/static/../web/app.py", "/worlds/..%2Fsecret.png", f"/worlds/{secret}.png"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "import" not in r.text
    r = client.get("/api/leaderboard", params={"world": str(secret)})
    assert r.status_code == 404 and "Secret-v0" not in r.text
    r = client.get("/api/matches/" + "0" * 32 + "/trajectory")
    assert r.status_code == 404 and "no stored replay" in r.json()["error"]
    for path in ("/api/matches/nothex/trajectory", "/api/jobs/12x", "/api/jobs/999", "/api/nothing"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["error"], path


def test_the_form_queues_a_job_and_sends_the_browser_to_its_page(site):
    client, db, token = site
    r = post_form(client, token, {"file": ("bang.py", CONTROLLER)})
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "queued" in page.text and "alpha" in page.text
    assert [j["status"] for j in queued(db)] == ["queued"]


def test_a_submission_is_evaluated_ranked_and_replayed(site):
    client, db, token = site
    r = post_api(client, token, {"file": ("bang.py", CONTROLLER)}, name="mine")
    assert r.status_code == 201, r.text
    jid = r.json()["job"]
    assert client.get(f"/api/jobs/{jid}").json()["status"] == "queued"
    assert jobs.work(db, once=True, seeds=1) == 1  # the queue's worker, here in process
    j = client.get(f"/api/jobs/{jid}").json()
    assert j["status"] == "done" and j["match_ids"] and j["progress"]["done"] == j["progress"]["total"] >= 1, j
    board = client.get("/api/leaderboard", params={"world": "line-follow"}).json()
    mine = [s for s in board["standings"] if s["agent"] == "mine"]
    assert board["world"] == "LineFollow-v0" and mine and mine[0]["mean"] > 0
    mid = j["match_ids"][0]
    traj = client.get(f"/api/matches/{mid}/trajectory")
    assert traj.status_code == 200
    doc = traj.json()
    frames = doc["frames"]
    assert len(frames) > 100 and frames[0]["t"] == 0.0
    assert {k for k in frames[0]["robots"][0]} == {"x", "y", "heading"}
    xy = [(f["robots"][0]["x"], f["robots"][0]["y"]) for f in frames]
    assert len(set(xy)) > len(xy) // 2  # the robot moves
    final = frames[-1]["scores"][0]
    assert final == pytest.approx(mine[0]["mean"], abs=1e-3) and frames[0]["scores"][0] <= final
    cached = db.parent / "web-cache" / "trajectories" / f"{mid}.json.gz"
    assert json.loads(gzip.decompress(cached.read_bytes()))["match_id"] == mid
    assert client.get(f"/matches/{mid}/mat.png").content[:4] == b"\x89PNG"
    assert client.get(f"/matches/{mid}").status_code == 200
    agent = client.get(f"/agents/{mine[0]['agent_hash']}")
    assert agent.status_code == 200 and mine[0]["agent_hash"] in agent.text
    page = client.get("/")
    assert "mine" in page.text and f"/matches/{mine[0]['best_match']}" in page.text


def test_serve_refuses_bad_options_in_one_line(tmp_path, capsys):
    from arena.cli import main

    assert main(["serve", "--db", str(tmp_path / "r.sqlite"), "--port", "0"]) == 2
    assert "--port 0" in capsys.readouterr().err
    assert main(["serve", "--db", str(tmp_path), "--port", "8000"]) == 2  # a folder, not a store
    assert "is a folder" in capsys.readouterr().err

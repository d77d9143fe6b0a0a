"""`arena serve --workers 1` killed outright (SIGKILL) while it evaluates a submission, then started
again on the same store: the job finishes once, every match is stored once, and nothing outside
the store's folder is written. The server and its worker are real processes; nothing is timed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from arena.compete.store import Store

ROOT = Path(__file__).resolve().parent.parent
ARENA = [sys.executable, "-m", "arena.cli"]
HANG_S = 600  # only catches a hang


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _port()
    proc = subprocess.Popen([*ARENA, "serve", "--db", str(db), "--port", str(port), "--workers", "1", "--seeds", "3"],
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT, cwd=db.parent, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + HANG_S
    while True:
        try:
            httpx.get(base + "/api/leaderboard", timeout=5)
            return proc, base
        except httpx.HTTPError:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "arena serve did not answer"
            time.sleep(0.2)


def _job(base: str, jid: int) -> dict:
    r = httpx.get(f"{base}/api/jobs/{jid}", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _until(base: str, jid: int, proc: subprocess.Popen, log: Path, ok) -> dict:
    deadline = time.monotonic() + HANG_S
    while True:
        j = _job(base, jid)
        if ok(j):
            return j
        assert j["status"] not in ("failed", "rejected"), j
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, (j, log.read_text())
        time.sleep(0.2)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def test_a_server_killed_mid_evaluation_finishes_the_job_once_after_a_restart(tmp_path):
    store_dir = tmp_path / "store"
    db = store_dir / "results.sqlite"
    log = tmp_path / "serve.log"
    token = subprocess.run([*ARENA, "team", "add", "alpha", "--db", str(db)], capture_output=True, text=True,
                           check=True, timeout=HANG_S).stdout.strip()
    outside = sorted(p.name for p in tmp_path.iterdir())
    first, base = _serve(db, log)
    second = None
    try:
        code = (ROOT / "agents" / "line_follower" / "controller.py").read_bytes()
        r = httpx.post(base + "/api/submissions", headers={"Authorization": f"Bearer {token}"},
                       data={"name": "follower", "world": "line-follow"},
                       files={"file": ("controller.py", code, "text/x-python")}, timeout=60)
        assert r.status_code in (200, 201), r.text
        jid = r.json()["job"]
        # mid-evaluation: admitted and at least one of its three matches stored, not all of them
        j = _until(base, jid, first, log, lambda j: j["status"] == "running" and j["progress"]["done"] >= 1)
        assert j["progress"]["done"] < 3, j
        os.kill(first.pid, signal.SIGKILL)  # the server only: its worker must notice and stop by itself
        first.wait()
        second, base = _serve(db, log)
        j = _until(base, jid, second, log, lambda j: j["status"] == "done")
    finally:
        for p in (first, second):
            if p is not None:
                _kill_group(p)
    assert len(j["match_ids"]) == 3 == len(set(j["match_ids"])) and j["progress"] == {"done": 3, "total": 3}, j
    s = Store(db)
    try:
        assert s.db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 3 == len(s.match_ids())
        assert set(j["match_ids"]) == s.match_ids()
        assert s.claims() == []
    finally:
        s.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*outside, "serve.log"])  # all inside the store

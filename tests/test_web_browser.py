"""The web arena in a real browser: Debian's chromium, headless, driven by Selenium through
chromium-driver, against `arena serve --workers 1` running as its own process.

Load the leaderboard, submit an agent through the form, wait for the worker to evaluate it, open
its match and play the replay: the canvas must change while it plays. Skipped (with the reason)
only where chromium or its driver is not installed; .ci/run installs both.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
                                       "chromium-driver; .ci/run installs them)")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install '.[dev]')")

ROOT = Path(__file__).resolve().parent.parent
ARENA = [sys.executable, "-m", "arena.cli"]
HANG_S = 600  # only catches a hang; nothing here is timed
SHOTS = os.environ.get("ARENA_WEB_SHOTS")  # a folder to keep the screenshots in (looked at during development)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    db = tmp_path / "store" / "results.sqlite"
    token = subprocess.run([*ARENA, "team", "add", "alpha", "--db", str(db)], capture_output=True, text=True,
                           check=True, timeout=HANG_S).stdout.strip()
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([*ARENA, "serve", "--db", str(db), "--port", str(port), "--workers", "1", "--seeds", "1"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + HANG_S
    while True:
        try:
            urllib.request.urlopen(base + "/api/leaderboard", timeout=5).read()
            break
        except OSError:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "arena serve did not answer"
            time.sleep(0.2)
    yield base, token, tmp_path
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1200,1400"):
        opts.add_argument(flag)
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.set_page_load_timeout(HANG_S)
    yield drv
    drv.quit()


def shot(drv, tmp_path: Path, name: str) -> None:
    for folder in filter(None, (tmp_path, SHOTS)):
        Path(folder).mkdir(parents=True, exist_ok=True)
        drv.save_screenshot(str(Path(folder) / f"{name}.png"))


def wait_for(drv, script: str, what: str):
    deadline = time.monotonic() + HANG_S
    while True:
        value = drv.execute_script(script)
        if value:
            return value
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.25)


CANVAS = "return document.getElementById('stage').toDataURL('image/png');"
PIXELS = "var c = document.getElementById('stage'); return c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
KEEP_PIXELS = "window.kept = (function () {" + PIXELS + "})();"
CHANGED_PIXELS = ("var now = (function () {" + PIXELS + "})(), n = 0;"
                  "for (var i = 0; i < now.length; i += 4) {"
                  "  if (now[i] !== kept[i] || now[i + 1] !== kept[i + 1] || now[i + 2] !== kept[i + 2]) n++; }"
                  "return n;")


def test_submit_in_the_browser_then_watch_the_replay(server, browser):
    from selenium.webdriver.common.by import By

    base, token, tmp_path = server
    agent = tmp_path / "bang_bang.zip"
    with zipfile.ZipFile(agent, "w") as z:
        for f in ("controller.py", "agent.toml"):
            z.write(ROOT / "agents" / "bang_bang" / f, f)
    browser.get(base + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Leaderboard"
    shot(browser, tmp_path, "1-board-empty")

    browser.get(base + "/submit")
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "name").send_keys("bangbang_web")
    browser.find_element(By.ID, "file").send_keys(str(agent))
    browser.find_element(By.CSS_SELECTOR, "input[name=world][value=line-follow]").click()
    shot(browser, tmp_path, "2-submit")
    browser.find_element(By.ID, "send").click()
    wait_for(browser, "return location.pathname.indexOf('/jobs/') === 0 || document.getElementById('reason');",
             "the answer to the form")
    assert "/jobs/" in browser.current_url, browser.page_source[:2000]
    shot(browser, tmp_path, "3-job-queued")
    # the job page follows the job through the API and reloads when it ends
    wait_for(browser, "var s = document.getElementById('status'); return s && "
                      "['done', 'failed', 'rejected'].indexOf(s.textContent) >= 0 && document.getElementById('matches');",
             "the evaluation")
    shot(browser, tmp_path, "4-job-done")
    assert browser.find_element(By.ID, "status").text == "done"

    browser.get(base + "/")
    assert "bangbang_web" in browser.find_element(By.ID, "board-LineFollow-v0").text
    shot(browser, tmp_path, "5-board")

    browser.get(base + "/jobs/1")
    browser.find_element(By.CSS_SELECTOR, "#matches a").click()
    wait_for(browser, "return window.arenaPlayer && (window.arenaPlayer.ready || window.arenaPlayer.error);",
             "the replay player")
    assert not browser.execute_script("return window.arenaPlayer.error;")
    assert browser.execute_script("return window.arenaPlayer.frames;") > 100
    before = browser.execute_script(CANVAS)
    browser.execute_script(KEEP_PIXELS)
    shot(browser, tmp_path, "6-match-start")
    browser.find_element(By.ID, "speed").send_keys("8")
    browser.find_element(By.ID, "play").click()
    wait_for(browser, "return window.arenaPlayer.frame > 150;", "the replay to play on")
    shot(browser, tmp_path, "7-match-playing")
    assert browser.execute_script(CANVAS) != before
    assert browser.execute_script(CHANGED_PIXELS) > 200  # the robots and their trails moved on the canvas
    # scrubbing back to the start draws the first frame again
    browser.execute_script("var s = document.getElementById('play'); if (window.arenaPlayer.playing) s.click();"
                           "var r = document.getElementById('scrub'); r.value = 0;"
                           "r.dispatchEvent(new Event('input'));")
    assert browser.execute_script(CANVAS) == before

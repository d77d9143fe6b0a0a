"""benchmarks/under_load.py's background load is bounded: every busy process stops at its deadline,
when its parent dies, and when the measurement ends; the harness prints quiet and loaded side by
side. (Nothing here is timed: waits only catch hangs.)"""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import under_load  # noqa: E402


def _gone(pid: int, within_s: float = 120.0) -> bool:
    """True once pid has exited (a zombie counts: it no longer runs)."""
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def _children() -> set[int]:
    me = os.getpid()
    kids = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    rest = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(rest[1]) == me and rest[0] not in (b"Z", b"X"):
                kids.add(int(name))
    return kids


def test_background_load_is_killed_when_the_measurement_ends():
    before = _children()
    with under_load.background_load(2, max_s=600):
        busy = _children() - before
        assert len(busy) == 2
    assert all(_gone(pid, 5.0) for pid in busy)
    assert _children() - before == set()


def test_a_load_process_stops_at_its_deadline():
    p = subprocess.Popen([sys.executable, "-c", under_load.LOAD, "0.2", str(os.getpid())])
    assert p.wait(timeout=120) == 0


def test_a_load_process_stops_when_its_parent_dies(tmp_path):
    # a parent that starts a load process for 600 s and exits at once, before the load process has
    # even started Python, without killing it (and without the harness's parent-death signal)
    parent = textwrap.dedent(f"""\
        import os, subprocess, sys
        p = subprocess.Popen([sys.executable, "-c", {under_load.LOAD!r}, "600", str(os.getpid())])
        open({str(tmp_path / "pid")!r}, "w").write(str(p.pid))
    """)
    subprocess.run([sys.executable, "-c", parent], timeout=120, check=True)
    orphan = int((tmp_path / "pid").read_text())
    try:
        assert _gone(orphan), "a load process outlived its parent"
    finally:
        try:
            os.kill(orphan, 9)
        except ProcessLookupError:
            pass


def test_a_script_runs_quiet_and_loaded_side_by_side(tmp_path, capsys):
    script = tmp_path / "hello.py"
    script.write_text("print('figure 42')\n")
    assert under_load.main(["--load", "1", "--repeat", "1", str(script)]) == 0
    out = capsys.readouterr().out
    assert "quiet" in out and "1 busy" in out and "wall / CPU" in out
    assert "figure 42 | figure 42" in out


def test_a_bad_measurement_is_named(capsys):
    import pytest

    with pytest.raises(SystemExit):
        under_load.main(["no-such-benchmark"])
    assert "not sandboxed-run, tournament, or a benchmark script" in capsys.readouterr().err

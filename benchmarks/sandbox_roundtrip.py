"""Start cost and JSON-lines round trip of arena.sandbox, per isolation mode.

    python benchmarks/sandbox_roundtrip.py [--starts 10] [--messages 2000]

Start cost = Sandbox.start() until the first reply of a child that imports only json
(interpreter start + isolation setup), median of --starts runs. Round trip = one request()
of a small observation-sized message, median over --messages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena.sandbox import Limits, Sandbox, _world_executable, bwrap_usable  # noqa: E402

CHILD = """\
import json, sys
for line in sys.stdin:
    sys.stdout.write(json.dumps({"action": [0.0, 0.0, 0.0, 0.0], "echo": json.loads(line)["t"]}) + "\\n")
    sys.stdout.flush()
"""


def python_for(mode: str) -> str | None:
    if mode == "bwrap" or os.geteuid() != 0 or _world_executable(sys.executable):
        return sys.executable
    return "/usr/bin/python3" if _world_executable("/usr/bin/python3") else None


def bench(mode: str, script: Path, starts: int, messages: int) -> str:
    py = python_for(mode)
    if py is None:
        return f"{mode:7s} skipped: no Python an unprivileged uid can run"
    limits = Limits(step_s=1.0)
    obs = {"t": 0, "obs": [0.125] * 24}
    start_ms = []
    for _ in range(starts):
        t = time.perf_counter()
        with Sandbox([py, "-I", "-S", script.name], workdir_files={script.name: script}, limits=limits,
                     isolation=mode) as sb:  # fmt: skip
            sb.request(obs, first=True)
            start_ms.append((time.perf_counter() - t) * 1e3)
    with Sandbox([py, "-I", "-S", script.name], workdir_files={script.name: script}, limits=limits,
                 isolation=mode) as sb:  # fmt: skip
        sb.request(obs, first=True)
        rt_us = []
        for i in range(messages):
            obs["t"] = i
            t = time.perf_counter()
            sb.request(obs)
            rt_us.append((time.perf_counter() - t) * 1e6)
        feats = {k: v for k, v in sb.features.items() if k != "pid"}
    return (f"{mode:7s} start {statistics.median(start_ms):6.1f} ms (median of {starts})   "
            f"round trip {statistics.median(rt_us):6.1f} us (median of {messages})   {feats}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--messages", type=int, default=2000)
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, euid {os.geteuid()}")
    with tempfile.TemporaryDirectory() as d:
        script = Path(d) / "echo_child.py"
        script.write_text(CHILD)
        for mode in ("bwrap", "rlimit"):
            ok, why = bwrap_usable()
            if mode == "bwrap" and not ok:
                print(f"bwrap   skipped: {why}")
                continue
            print(bench(mode, script, args.starts, args.messages))


if __name__ == "__main__":
    main()

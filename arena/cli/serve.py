"""`arena serve`: the web arena (arena.web) on uvicorn, with optional worker processes beside it.

With --workers N the server starts N processes (multiprocessing spawn), each running the job
queue's worker loop (arena.compete.jobs.work) on the same store; they stop with the server: on a
clean stop each is asked to finish (SIGTERM sets its stop event) and is killed after a grace
period; a server that is killed outright leaves them to notice their parent is gone and stop.
A job a stopped worker held is taken over by the next worker (its lease), so nothing is lost.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time

from arena.cli.console import DEFAULT_DB
from arena.errors import ArenaError

GRACE_S = 10.0  # s a worker gets to stop after SIGTERM before it is killed


def add_parsers(sub) -> None:
    p = sub.add_parser("serve", help="the web arena: leaderboards, worlds, replays, submissions (and workers)")
    p.add_argument("--db", default=str(DEFAULT_DB), help=f"results database (default {DEFAULT_DB})")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--workers", type=int, default=0,
                   help="worker processes that evaluate submissions beside the server (default 0: run `arena worker`)")
    p.add_argument("--backend", default="local", choices=("local", "ray"), help="where the workers play matches")
    p.add_argument("--address", default=None, help="Ray cluster address for --backend ray")
    p.add_argument("--seeds", type=int, default=3, help="seeds each submission plays per world")
    p.add_argument("--proxy-headers", action="store_true",
                   help="trust X-Forwarded-For/-Proto from --forwarded-allow-ips (behind a reverse proxy)")
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1", help="proxies trusted with --proxy-headers")
    p.set_defaults(func=cmd_serve)


def _worker_main(db: str, backend: str, address: str | None, seeds: int, parent: int) -> None:
    """One worker process: the job loop until SIGTERM or until the server that started it is gone."""
    from arena.compete import jobs

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())  # Ctrl-C reaches the whole group: the parent decides

    def watch_parent():
        while not stop.wait(1.0):
            if os.getppid() != parent:
                stop.set()

    threading.Thread(target=watch_parent, daemon=True).start()
    kwargs = {"address": address} if address and backend == "ray" else {}
    jobs.work(db, workers=1, backend=backend, stop=stop, seeds=seeds, **kwargs)


def start_workers(n: int, db: str, backend: str, address: str | None, seeds: int) -> list:
    ctx = multiprocessing.get_context("spawn")
    procs = []
    for i in range(n):
        p = ctx.Process(target=_worker_main, args=(db, backend, address, seeds, os.getpid()),
                        name=f"arena-worker-{i}", daemon=False)
        p.start()
        procs.append(p)
    return procs


def stop_workers(procs: list, grace: float = GRACE_S) -> None:
    for p in procs:
        if p.is_alive():
            p.terminate()  # SIGTERM: its stop event
    deadline = time.monotonic() + grace
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(5)


def cmd_serve(args) -> int:
    import uvicorn

    from arena.web.app import create_app

    if not 0 < args.port < 65536:
        raise ArenaError(f"--port {args.port}: a port is 1-65535 (fix: e.g. --port 8000)")
    if args.workers < 0:
        raise ArenaError(f"--workers {args.workers}: cannot be negative (fix: 0 for none, e.g. --workers 1)")
    if args.seeds < 1:
        raise ArenaError(f"--seeds {args.seeds}: at least 1 (fix: e.g. --seeds 3)")
    app = create_app(args.db)  # a bad --db is refused here, before anything starts
    procs = start_workers(args.workers, args.db, args.backend, args.address, args.seeds) if args.workers else []
    print(f"arena serve: http://{args.host}:{args.port}/ over {args.db}, {len(procs)} worker process(es)",
          file=sys.stderr, flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", proxy_headers=args.proxy_headers,
                    forwarded_allow_ips=args.forwarded_allow_ips, server_header=False)
    finally:
        stop_workers(procs)
    return 0

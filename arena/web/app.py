"""The web service of `arena serve`: a Starlette app over one results store.

create_app(db_path) builds it: server-rendered pages (arena.web.pages), the JSON API
(arena.web.api), static files (the replay player, the table sorter, the stylesheet). The store is
opened once per thread (SQLite connections stay in the thread that made them); what the site
writes besides the store (the CSRF secret, cached pictures and trajectories) lives in the store's
folder. Evaluation runs elsewhere: in `arena worker` processes (arena.compete.jobs.work), which
`arena serve --workers N` starts beside the app.
"""

from __future__ import annotations

import threading
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from arena import __version__
from arena.compete.store import Store
from arena.web import security

HERE = Path(__file__).resolve().parent


def _fmt(value, digits: int = 2) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    return "" if v != v else f"{v:.{digits}f}"


def _when(ts) -> str:
    import time

    if ts is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(ts)))


class Site:
    """What every request handler shares: the store's path, the cache folder, the CSRF secret,
    the templates."""

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path)
        Store(self.db_path).close()  # a bad --db fails here, at start, with the store's own message
        self.folder = self.db_path.resolve().parent
        self.cache = self.folder / "web-cache"
        self.secret = security.load_secret(self.folder)
        self._local = threading.local()
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                                 undefined=jinja2.StrictUndefined)
        env.filters["num"] = _fmt
        env.filters["when"] = _when
        env.globals["version"] = __version__
        self.templates = Jinja2Templates(env=env)

    def store(self) -> Store:
        """This thread's connection to the store."""
        s = getattr(self._local, "store", None)
        if s is None:
            s = self._local.store = Store(self.db_path)
        return s


def create_app(db_path: str | Path) -> Starlette:
    """The Starlette app of `arena serve` over the store at db_path (created when missing)."""
    from arena.web import api, pages

    site = Site(db_path)
    routes = [
        Route("/", pages.leaderboard, name="leaderboard"),
        Route("/worlds", pages.worlds_page, name="worlds"),
        Route("/worlds/{name}.png", pages.world_picture, name="world_picture"),
        Route("/worlds/{name}", pages.world_anchor, name="world"),
        Route("/agents/{agent_hash}", pages.agent_page, name="agent"),
        Route("/matches/{match_id}", pages.match_page, name="match"),
        Route("/matches/{match_id}/mat.png", pages.match_mat, name="match_mat"),
        Route("/submit", pages.submit_form, methods=["GET"], name="submit"),
        Route("/submit", pages.submit_post, methods=["POST"], name="submit_post"),
        Route("/jobs", pages.jobs_page, name="jobs"),
        Route("/jobs/{job_id:int}", pages.job_page, name="job"),
        Route("/api/submissions", api.post_submission, methods=["POST"]),
        Route("/api/jobs/{job_id}", api.get_job),
        Route("/api/leaderboard", api.get_leaderboard),
        Route("/api/matches/{match_id}/trajectory", api.get_trajectory),
        Route("/api/{rest:path}", api.not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(security.SecurityHeaders),
                                               Middleware(GZipMiddleware, minimum_size=1024)],
                    exception_handlers={404: pages.not_found, 405: pages.not_allowed})
    app.state.site = site
    return app

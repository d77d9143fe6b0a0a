"""Short test worlds and agents written into a temporary folder (helpers for the arena tests)."""

import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def solo_world(folder: Path, time_limit: float = 5.0) -> Path:
    """worlds/line-follow.toml with a short time limit (same id, so the bundled agents target it)."""
    src = (ROOT / "worlds" / "line-follow.toml").read_text()
    f = folder / "tiny-line.toml"
    f.write_text(re.sub(r"(?m)^time_limit = .*$", f"time_limit = {time_limit}", src))
    return f


def duel_world(folder: Path, time_limit: float = 3.0) -> Path:
    """A two-player version of the same track: both robots on the line, 1 m apart."""
    src = solo_world(folder, time_limit).read_text()
    src = src.replace('id = "LineFollow-v0"', 'id = "LineDuel-v0"\nplayers = 2')
    src = src.replace('[[start]]\npath = "track"\nat = 0.0', '[[start]]\npath = "track"\nat = 1000.0\n'
                      'jitter = { pos = 5.0, heading = 3.0 }\n\n[[start]]\npath = "track"\nat = 0.0', 1)
    f = folder / "tiny-duel.toml"
    f.write_text(src)
    return f


def copies(folder: Path) -> tuple[Path, Path]:
    """The bundled line_follower and bang_bang as single .py files: no manifest, so they play every world."""
    out = []
    for name in ("line_follower", "bang_bang"):
        f = folder / f"{name}.py"
        f.write_text((ROOT / "agents" / name / "controller.py").read_text())
        out.append(f)
    return tuple(out)


def agent(folder: Path, name: str, body: str) -> Path:
    f = folder / f"{name}.py"
    f.write_text(textwrap.dedent(body))
    return f


CRASHER = """
class Controller:
    n = 0
    def act(self, obs):
        self.n += 1
        if self.n == 30:
            raise RuntimeError("boom")
        return {"B": 0.2, "C": 0.2}
"""

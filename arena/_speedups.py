"""The optional compiled build of the per-step hot path, and the switch back to pure Python.

The modules in COMPILED are plain Python, typed for Cython by their .pxd files ("pure Python
mode"); `python -m arena._build` (run by `make`) compiles them in place, with the leaf loops of
_fastpath.pyx. Interpreted or compiled, they compute the same results bit for bit
(tests/test_compiled.py). The compiled modules type each other's classes, so they load all
together or not at all: with ARENA_PURE_PYTHON=1, or when any source is newer than its compiled
module (an edit not yet rebuilt), every one of them is loaded from its .py instead.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import warnings
from pathlib import Path

# arena.<name>, each a .py with a .pxd beside it (world.scene has no .pxd: its module is compiled
# as it is, for the interpreter overhead it saves)
COMPILED = ("kit.readout", "kit.motors", "kit.sensors", "robot.body", "world.mat", "world.scoring", "world.scene", "match", "envs.single", "sim",
            "controllers.lane", "controllers.protocol", "controllers.sandbox.channel", "controllers.runner")
LEAVES = ("_fastpath",)  # .pyx, each with a pure Python twin in the module that imports it
HERE = Path(__file__).resolve().parent


def source(name: str, suffix: str) -> Path:
    """arena.<name>'s file with this suffix: source("kit.motors", ".pxd") is arena/kit/motors.pxd."""
    return HERE.joinpath(*name.split(".")).with_suffix(suffix)


def extension(name: str) -> Path | None:
    """The compiled module for arena.<name> next to its source, if built."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        p = source(name, suffix)
        if p.exists():
            return p
    return None


def stale() -> list[str]:
    """Compiled modules older than their sources (.py, .pxd or .pyx)."""
    out = []
    for name in COMPILED + LEAVES:
        ext = extension(name)
        if ext is None:
            continue
        built = ext.stat().st_mtime
        for src in (source(name, ".py"), source(name, ".pxd"), source(name, ".pyx")):
            if src.exists() and src.stat().st_mtime > built:
                out.append(name)
                break
    return out


class _SourceOnly:
    """A meta path finder that loads the listed arena modules from their .py files."""

    def __init__(self, names):
        self.names = {f"arena.{n}" for n in names}

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.names:
            return None
        src = source(fullname.split(".", 1)[1], ".py")
        if not src.exists():  # a leaf loop module: no source twin, so the import fails and the
            return _missing(fullname)  # importer falls back to its numpy version
        return importlib.util.spec_from_file_location(fullname, src)


def _missing(fullname):
    raise ModuleNotFoundError(f"{fullname}: the compiled speedups are switched off", name=fullname)


def active() -> bool:
    """True when the compiled modules are the ones in use."""
    mod = sys.modules.get("arena.kit.motors")
    if mod is None:
        import arena.kit.motors as mod
    return Path(mod.__file__).suffix != ".py"


def install() -> None:
    """Called by arena/__init__: decide, before any hot module is imported, which build loads."""
    if not any(extension(n) for n in COMPILED + LEAVES):
        return
    if os.environ.get("ARENA_PURE_PYTHON", "") not in ("", "0"):
        sys.meta_path.insert(0, _SourceOnly(COMPILED + LEAVES))
        return
    old = stale() + [n for n in COMPILED if extension(n) is None]
    if old:
        warnings.warn(f"arena: the compiled speedups are older than their sources ({', '.join(sorted(set(old)))}); "
                      "running the pure Python modules. Rebuild with `make build` "
                      "(or `python -m arena._build`).", RuntimeWarning, stacklevel=3)
        sys.meta_path.insert(0, _SourceOnly(COMPILED + LEAVES))

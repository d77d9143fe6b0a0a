"""The package's layout is its architecture: subpackages by concern, small modules, and layers that
import-linter enforces (pyproject.toml [tool.importlinter], run by `make lint`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "arena"
# The top of the package: the foundations, the physics layer, the match, the package's own
# machinery (the compiled build's switch and builder). Everything else lives in a subpackage.
TOP_LEVEL = {"__init__.py", "_build.py", "_speedups.py", "content.py", "errors.py", "match.py", "sim.py",
             "tomlio.py", "units.py"}
SUBPACKAGES = {"cli", "compete", "controllers", "envs", "kit", "learn", "robot", "view", "web", "world"}


def _lint_imports() -> str:
    pytest.importorskip("importlinter", reason="import-linter is not installed (pip install '.[dev]')")
    exe = Path(sys.executable).parent / "lint-imports"
    if not exe.exists():
        pytest.skip("the lint-imports script is not beside this Python")
    return str(exe)


def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in PKG.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, f"split these by responsibility: {long}"


def test_the_top_level_holds_the_foundations_and_the_rest_lives_in_subpackages():
    assert {p.name for p in PKG.glob("*.py")} == TOP_LEVEL
    packages = {p.parent.name for p in PKG.glob("*/__init__.py")}
    assert packages == SUBPACKAGES


def test_the_envs_import_from_the_top_without_loading_physics_first():
    code = ("import sys, arena; assert 'pybullet' not in sys.modules, 'import arena loaded pybullet'; "
            "import gymnasium as gym; assert 'arena/LineFollow-v0' in gym.registry; "
            "print(arena.ArenaEnv.__module__, arena.ArenaParallelEnv.__module__, arena.BatchedVectorEnv.__module__)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["arena.envs.single", "arena.envs.parallel", "arena.envs.vector"]


def test_the_tree_keeps_every_import_contract():
    res = subprocess.run([_lint_imports(), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")], cwd=ROOT,
                         capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


# (file, a line that breaks the contract, contract id)
VIOLATIONS = [
    ("kit/motors.py", "import arena.envs.single", "layers"),  # a motor model reaching up to the env
    ("robot/spec.py", "from arena.world import scene", "layers"),  # robots know nothing of worlds
    ("view/canvas.py", "import arena.web.app", "layers"),  # the viewer knows nothing of the web service
    ("world/scene.py", "import pybullet", "pybullet"),  # physics only through arena.sim
    ("world/scoring.py", "import pygame", "pygame"),  # drawing only in the drawing modules
    ("compete/store.py", "import arena.match", "results-without-physics"),  # indirect: match -> sim
    ("controllers/host.py", "import numpy", "sandbox-side"),  # the host runs in the sandbox
]


@pytest.mark.parametrize(("module", "line", "contract"), VIOLATIONS, ids=[v[2] + ":" + v[0] for v in VIOLATIONS])
def test_each_contract_fails_on_a_deliberate_violation(tmp_path, module, line, contract):
    exe = _lint_imports()
    shutil.copytree(PKG, tmp_path / "arena", ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "arena" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # injected by tests/test_layout.py\n",
                      encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))  # the copy, not the checkout, is `arena` here
    res = subprocess.run([exe, "--no-cache", "--no-logo", "--contract", contract, "pyproject.toml"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=1800)
    assert res.returncode != 0, res.stdout
    assert "BROKEN" in res.stdout and "1 broken" in res.stdout, res.stdout
    assert f"arena.{module[:-3].replace('/', '.')}" in res.stdout  # the report names the offender

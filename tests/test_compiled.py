"""The optional compiled build (arena/_speedups.py) computes exactly what the pure Python modules do."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arena import _speedups
from arena.kit.readout import _floor, _rint

ROOT = Path(__file__).resolve().parent.parent

ROLLOUT = r"""
import hashlib, json, sys
import numpy as np
from arena import _speedups
from arena.envs.single import ArenaEnv
out = {"compiled": _speedups.active()}
for world, mode in (("line-follow", "duty"), ("line-follow", "speed"), ("sumo", "duty"), ("maze", "speed")):
    env = ArenaEnv(world, action_mode=mode)
    rng = np.random.default_rng(7)
    h = hashlib.sha256()
    obs, info = env.reset(seed=11)
    for k in range(300):
        a = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
        obs, r, te, tr, info = env.step(a)
        for key in sorted(obs):
            h.update(obs[key].tobytes())
        h.update(np.float64(r).tobytes() + bytes([te, tr]) + json.dumps(info, sort_keys=True).encode())
        if te or tr:
            obs, info = env.reset()
    h.update(env.state_digest())
    out[f"{world}/{mode}"] = h.hexdigest()
    env.close()
print(json.dumps(out))
"""


def rollout(pure: bool) -> dict:
    env = dict(os.environ, ARENA_PURE_PYTHON="1" if pure else "0")
    res = subprocess.run([sys.executable, "-W", "ignore", "-c", ROLLOUT], env=env, capture_output=True, text=True,
                         check=True, timeout=1800)
    return json.loads(res.stdout)


def test_rint_and_floor_are_pythons_round_and_floor():
    rng = np.random.default_rng(0)
    xs = np.concatenate([rng.uniform(-1e7, 1e7, 20000), np.arange(-4000, 4000) * 0.5, rng.normal(0, 3, 20000),
                         [0.0, -0.0, 0.49999999999999994, -0.49999999999999994, 2.0**50 + 0.5]]).tolist()
    for x in xs:
        assert _rint(x) == float(round(x)) and math.copysign(1, _rint(x)) == math.copysign(1, float(round(x))), x
        assert _floor(x) == float(math.floor(x)), x


def test_the_compiled_nearest_point_search_is_its_numpy_twin():
    fast = pytest.importorskip("arena._fastpath", reason="the compiled speedups are not built")
    from arena.world.scene import _nearest_in

    rng = np.random.default_rng(1)
    for _ in range(3000):
        n = int(rng.integers(2, 60))
        xs, ys = rng.normal(size=n), rng.normal(size=n)
        xs[n // 2], ys[n // 2] = xs[0], ys[0]  # an exact tie: the first index wins in both
        lo = int(rng.integers(0, n - 1))
        hi = int(rng.integers(lo + 1, n + 1))
        x, y = rng.normal(size=2).tolist()
        assert fast.nearest_in(xs, ys, lo, hi, x, y) == _nearest_in(xs, ys, lo, hi, x, y)


def test_the_compiled_observation_packer_is_its_numpy_twin():
    fast = pytest.importorskip("arena._fastpath", reason="the compiled speedups are not built")
    from arena.envs.single import _pack

    rng = np.random.default_rng(2)
    names, sizes = ["a", "rgb", "b", "c"], [1, 3, 1, 1]
    for _ in range(2000):
        # floats that float32 must round (ties included), whole numbers, and 0/1 flags
        raw = {"a": float(rng.normal() * 10.0 ** rng.integers(-3, 8)), "rgb": rng.integers(0, 1021, 3).astype(float).tolist(),
               "b": float(np.nextafter(np.float32(rng.normal()), 1, dtype=np.float32)) + 2.0**-40, "c": float(rng.integers(0, 2))}
        got, want = fast.pack(raw, names, sizes), _pack(raw, names, sizes)
        assert list(got) == list(want) == names
        for k in names:
            assert got[k].dtype == want[k].dtype == np.float32 and got[k].shape == want[k].shape
            assert got[k].tobytes() == want[k].tobytes(), (k, raw[k])
    again = fast.pack(raw, names, sizes)
    assert not any(np.shares_memory(got[k], again[j]) for k in names for j in names)
    assert not any(np.shares_memory(got[k], got[j]) for k in names for j in names if j != k)


def test_the_compiled_vector_table_helpers_are_their_numpy_twins():
    fast = pytest.importorskip("arena._fastpath", reason="the compiled speedups are not built")
    from arena.envs.vector import _split_columns, _write_row

    rng = np.random.default_rng(3)
    names, sizes = ["a", "rgb", "b"], [1, 3, 1]
    got, want = np.zeros((4, 5), np.float32), np.zeros((4, 5), np.float32)
    for _ in range(500):
        row = int(rng.integers(0, 4))
        raw = {"a": float(rng.normal() * 1e3), "rgb": rng.normal(size=3).tolist(), "b": float(rng.integers(0, 2))}
        fast.write_row(got, row, raw, names, sizes)
        _write_row(want, row, raw, names, sizes)
        assert got.tobytes() == want.tobytes()
    cols, ref = fast.split_columns(got, names, sizes), _split_columns(want, names, sizes)
    for k in names:
        assert cols[k].flags.c_contiguous and cols[k].dtype == np.float32 and cols[k].tobytes() == ref[k].tobytes()
        assert not np.shares_memory(cols[k], got)


@pytest.mark.skipif(not shutil.which("gcc"), reason="no C compiler: only the pure Python build exists")
def test_the_speedups_are_built_and_current_where_a_compiler_is():
    pytest.importorskip("Cython", reason="Cython is not installed")
    missing = [n for n in _speedups.COMPILED + _speedups.LEAVES if _speedups.extension(n) is None]
    assert not missing and not _speedups.stale(), "run `make build` (python -m arena._build)"
    assert rollout(pure=False)["compiled"] is True


def test_compiled_and_pure_python_builds_give_identical_rollouts():
    compiled, pure = rollout(pure=False), rollout(pure=True)
    if not compiled.pop("compiled"):
        pytest.skip("the compiled speedups are not built")
    assert pure.pop("compiled") is False
    assert compiled == pure


def test_a_source_newer_than_its_compiled_module_is_stale(tmp_path, monkeypatch):
    monkeypatch.setattr(_speedups, "HERE", tmp_path)
    (tmp_path / "kit").mkdir()
    ext = tmp_path / "kit" / f"motors{_speedups.importlib.machinery.EXTENSION_SUFFIXES[0]}"
    src = tmp_path / "kit" / "motors.py"
    src.write_text("")
    ext.write_bytes(b"")
    os.utime(src, (1000, 1000))
    os.utime(ext, (2000, 2000))
    assert _speedups.stale() == []
    os.utime(src, (3000, 3000))
    assert _speedups.stale() == ["kit.motors"]


def test_a_build_that_fails_to_compile_leaves_the_whole_pure_python_package(tmp_path):
    pytest.importorskip("Cython", reason="Cython is not installed: the build stops before compiling")
    pkg = tmp_path / "arena"
    shutil.copytree(ROOT / "arena", pkg, ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__", ".*.part"))
    env = dict(os.environ, CC="false", PYTHONPATH=str(tmp_path), ARENA_PURE_PYTHON="0")  # no working compiler
    res = subprocess.run([sys.executable, "-m", "arena._build"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr  # not an error: the package is complete without it
    assert "speedups not built" in res.stderr and "pure Python modules will run" in res.stderr
    assert not list(pkg.rglob("*.so")) and not list(pkg.rglob("*.c")) and not list(pkg.rglob(".*.part"))
    check = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c",
                            "import arena.envs.single, arena._speedups as s; print(s.active(), arena.envs.single.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800)
    assert check.returncode == 0, check.stderr
    assert check.stdout.split() == ["False", str(pkg / "envs" / "single.py")]

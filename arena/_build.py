"""Compile the optional speedups in place (see arena/_speedups.py): `python -m arena._build`
(`--if-stale`: only when a compiled module is missing or older than its source; `--clean`).

Needs Cython, setuptools and a C compiler (the dev extra has the first two). All modules build or
none is kept: they type each other's classes, so a partial build could not load. Without a
compiler this prints why and leaves the pure Python package, which computes the same results.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from arena._speedups import COMPILED, HERE, LEAVES, extension, source, stale


def clean() -> None:
    for name in COMPILED + LEAVES:
        ext = extension(name)
        if ext is not None:
            ext.unlink()
        source(name, ".c").unlink(missing_ok=True)


def build(jobs: int = 2) -> bool:
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
        from setuptools.dist import Distribution
    except ImportError as exc:
        print(f"arena: speedups not built ({exc.name} is not installed: pip install cython setuptools); "
              "the pure Python modules will run", file=sys.stderr)
        return False
    clean()
    sources = [(f"arena.{n}", source(n, ".py")) for n in COMPILED] + [(f"arena.{n}", source(n, ".pyx")) for n in LEAVES]
    import numpy  # _fastpath makes numpy arrays through numpy's C API

    exts = [Extension(name, [str(src)], include_dirs=[numpy.get_include()],
                      define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]) for name, src in sources]
    tmp = tempfile.mkdtemp(prefix="arena-build-")
    try:
        exts = cythonize(exts, language_level=3, quiet=True, nthreads=jobs,
                         compiler_directives={"annotation_typing": False})
        dist = Distribution({"name": "kit-arena-speedups", "ext_modules": exts})
        cmd = dist.get_command_obj("build_ext")
        cmd.build_temp, cmd.build_lib, cmd.parallel = tmp, tmp, jobs
        cmd.ensure_finalized()
        cmd.run()
        for name, _src in sources:  # copy in place only when every module built
            built = Path(cmd.get_ext_fullpath(name))
            dest = HERE.parent / built.relative_to(tmp)  # arena/kit/motors.<abi>.so
            part = dest.with_name(f".{built.name}.part")
            shutil.copy2(built, part)
            os.replace(part, dest)  # a new file: a process that loaded the old one is unharmed
    except Exception as exc:  # noqa: BLE001 - any build failure leaves the pure Python package
        clean()
        print(f"arena: speedups not built ({type(exc).__name__}: {exc}); the pure Python modules will run",
              file=sys.stderr)
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for name in COMPILED + LEAVES:
            source(name, ".c").unlink(missing_ok=True)
    print(f"arena: compiled {len(sources)} modules in place ({', '.join(n for n, _ in sources)})")
    return True


def up_to_date() -> bool:
    return all(extension(n) for n in COMPILED + LEAVES) and not stale()


def main() -> int:
    args = sys.argv[1:]
    if "--clean" in args:
        clean()
        return 0
    if os.environ.get("ARENA_PURE_PYTHON", "") not in ("", "0"):
        print("arena: ARENA_PURE_PYTHON is set; not building the speedups")
        return 0
    if "--if-stale" in args and up_to_date():
        return 0
    build()
    return 0  # a failed build is not an error: the pure Python package is complete


if __name__ == "__main__":
    sys.exit(main())

"""The controller's side of the protocol: runs inside the sandboxed child process, never in the
arena's. Standard library only at import time (the controller may import numpy itself).

It loads one agent (a .py file or a folder with controller.py defining `class Controller`),
then answers JSON lines on stdin/stdout: init -> ready, reset -> ok, act -> action. Anything the
controller prints goes to stderr, so it cannot corrupt the protocol.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import traceback


def _load(agent: str):
    path = agent if agent.endswith(".py") else os.path.join(agent, "controller.py")
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # helpers beside controller.py import as usual
    spec = importlib.util.spec_from_file_location("controller", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["controller"] = module
    spec.loader.exec_module(module)
    cls = getattr(module, "Controller", None)
    if cls is None:
        raise AttributeError(f"{os.path.basename(path)} defines no `class Controller`")
    return cls()


def _plain(o):
    """numpy scalars and arrays become plain numbers and lists; anything else is sent as text
    and the arena reports it as an invalid action."""
    if hasattr(o, "tolist"):
        return o.tolist()
    return repr(o)


def _fail(out, where: str, exc: BaseException) -> None:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    # keep the controller's own frames: the host's are noise to its author
    msg = f"{type(exc).__name__}: {exc}"
    out.write(json.dumps({"type": "error", "where": where, "message": msg, "trace": "".join(tb[-6:])}) + "\n")
    out.flush()


def main() -> int:
    proto_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the controller's print() lands on stderr, which the arena captures
    sys.stdout = sys.stderr
    proto_in = sys.stdin
    controller = None
    for line in proto_in:
        msg = json.loads(line)
        kind = msg.get("type")
        if kind == "init":
            try:
                controller = _load(msg["agent"])
            except BaseException as exc:  # noqa: BLE001 - report every failure to the arena
                _fail(proto_out, "import", exc)
                return 1
            proto_out.write('{"type": "ready"}\n')
        elif kind == "reset":
            try:
                if hasattr(controller, "reset"):
                    controller.reset(msg.get("seed"), msg.get("info", {}))
            except BaseException as exc:  # noqa: BLE001
                _fail(proto_out, "reset", exc)
                return 1
            proto_out.write('{"type": "ok"}\n')
        elif kind == "act":
            try:
                action = controller.act(msg["obs"])
                text = json.dumps({"type": "action", "action": action}, default=_plain)
            except BaseException as exc:  # noqa: BLE001
                _fail(proto_out, "act", exc)
                return 1
            proto_out.write(text + "\n")
        elif kind == "close":
            return 0
        proto_out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

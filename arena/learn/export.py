"""`arena export`: a policy trained by `arena train` -> (a) an agent folder that runs in the sandbox
on numpy alone (controller.py, features.py, policy.npz, policy.json, agent.toml), checked against
the torch policy; (b) optionally a pybricks program (one main.py, pure Python, weights inlined)
that reads the same sensors through the pybricks API and runs the same network on the brick.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from arena.errors import ArenaError
from arena.learn import mlp
from arena.learn.train import TrainConfig, make_env, need_sb3

FEATURES_SRC = Path(__file__).resolve().parents[1] / "envs" / "features.py"
BRICK_DT = 0.01  # s: the sandbox calls act() and the brick loop runs every 10 ms
TOLERANCE = 1e-5  # max |numpy action - torch action| accepted
CHECK_STEPS = 400  # control steps of the torch policy whose observations are checked

# observation key quantity -> (pybricks device class, the call that reads it); a colour id or rgb
# has no equal on the brick (Color enums, rgb in %), so those keys cannot be exported
PYBRICKS_READ = {"reflection": ("ColorSensor", "reflection()"), "ambient": ("ColorSensor", "ambient()"),
                 "distance": ("UltrasonicSensor", "distance()"), "angle": ("GyroSensor", "angle()"),
                 "rate": ("GyroSensor", "speed()"), "pressed": ("TouchSensor", "pressed()"),
                 "voltage": ("EV3Brick", "battery.voltage()")}


def _find_model(policy: Path, best: bool) -> tuple[Path, Path]:
    """(run folder, model zip) from a run folder or a zip inside one (or in its checkpoints/)."""
    if policy.is_dir():
        z = policy / ("best.zip" if best else "model.zip")
        if not z.is_file():
            raise ArenaError(f"{policy}: no {z.name}: give an `arena train` run folder that finished, or a model .zip")
        return policy, z
    if policy.suffix != ".zip" or not policy.is_file():
        raise ArenaError(f"{policy}: not a run folder or a model .zip written by `arena train`")
    run = policy.parent.parent if policy.parent.name == "checkpoints" else policy.parent
    if not (run / "config.json").is_file():
        raise ArenaError(f"{policy}: no config.json beside it: export needs the run folder `arena train` wrote")
    return run, policy


def export(policy: Path, out: Path, pybricks: Path | None = None, name: str | None = None, best: bool = False) -> dict:
    """Write the agent folder (and the pybricks program); returns what was written and checked."""
    run, zip_path = _find_model(Path(policy), best)
    cfg = TrainConfig.load(run / "config.json")
    sb3 = need_sb3()
    model = sb3.PPO.load(zip_path, device="cpu")
    layers, act = mlp.from_sb3(model.policy)
    env = make_env(cfg)
    try:
        spec = {"world": env.world_spec.id, "robot": env.robot_spec.name, "ports": list(env.robot.ports),
                "plan": env.obs_plan, "stack": env.stack, "activation": act,
                "repeat": int(round(cfg.control_dt / BRICK_DT))}
        out.mkdir(parents=True, exist_ok=True)
        np.savez(out / "policy.npz", **mlp.to_npz_dict(layers, act))
        (out / "policy.json").write_text(json.dumps(spec, indent=1) + "\n")
        (out / "features.py").write_text(FEATURES_SRC.read_text())
        (out / "controller.py").write_text(CONTROLLER)
        name = name or out.name
        (out / "agent.toml").write_text(
            f'# Written by `arena export` from {zip_path.name} of run {run.name} (PPO, arena train).\n'
            f'name = "{name}"\ndescription = "PPO policy trained with arena train on {spec["world"]}; '
            f'numpy-only controller (policy.npz)."\nauthor = "Kit Arena"\nrobot = "{spec["robot"]}"\n'
            f'worlds = ["{spec["world"]}"]\n')
        err = _check(model, env, out)
        if err > TOLERANCE:
            raise ArenaError(f"{out}: the exported controller's actions differ from the torch policy by {err:.2e} "
                             f"(> {TOLERANCE:g}): this is a bug in the exporter, please report it")
        report = {"agent": str(out), "max_error": err, "operations": mlp.operations(layers)}
        if pybricks is not None:
            pybricks.mkdir(parents=True, exist_ok=True)
            (pybricks / "main.py").write_text(pybricks_program(spec, layers, act))
            (pybricks / "agent.toml").write_text(
                f'# Written by `arena export`: the same policy as a pybricks program (pure Python).\n'
                f'name = "{pybricks.name}"\ndescription = "PPO policy as a pybricks program for the EV3."\n'
                f'author = "Kit Arena"\nrobot = "{spec["robot"]}"\nworlds = ["{spec["world"]}"]\n')
            report["pybricks"] = str(pybricks)
        return report
    finally:
        env.close()


def _check(model, env, folder: Path) -> float:
    """Run the torch policy for CHECK_STEPS steps; the exported controller, fed the same raw
    observations, must choose the same actions. Returns the largest difference."""
    ctrl = load_controller(folder)
    ctrl.reset(0, {})
    repeat = ctrl.spec["repeat"]
    obs, _ = env.reset(seed=12345)
    worst = 0.0
    for _ in range(CHECK_STEPS):
        raw = {k: (list(map(float, v)) if hasattr(v, "__len__") else float(v)) for k, v in env.last_obs.items()}
        mine = ctrl.act(raw)
        for _ in range(repeat - 1):  # the 10 ms calls within one env step hold the decision
            if ctrl.act(raw) != mine:
                return float("inf")
        theirs, _ = model.predict(obs, deterministic=True)
        theirs = np.clip(theirs, -1.0, 1.0)
        worst = max(worst, max(abs(mine[p] - float(t)) for p, t in zip(env.robot.ports, theirs, strict=True)))
        obs, _r, te, tr, _i = env.step(theirs)
        if te or tr:
            break
    return worst


def load_controller(folder: Path):
    """The exported Controller, imported from its folder (as the sandbox would)."""
    import importlib.util
    import sys

    sys.path.insert(0, str(folder))
    try:
        for mod in ("features", "controller"):
            sys.modules.pop(mod, None)
        spec = importlib.util.spec_from_file_location("controller", folder / "controller.py")
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
        return m.Controller()
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("features", None)


CONTROLLER = '''"""A policy trained with `arena train`, exported by `arena export`: numpy only, so it runs in the
sandbox. policy.json holds the observation plan (features.py turns readings into features) and
the motor ports; policy.npz the network's weights (layers w0, b0, ...; tanh or relu between)."""

import json
from pathlib import Path

import numpy as np
from features import Stack, features

HERE = Path(__file__).resolve().parent


class Controller:
    def __init__(self):
        self.spec = json.loads((HERE / "policy.json").read_text())
        with np.load(HERE / "policy.npz", allow_pickle=False) as d:
            n = int(d["n_layers"])
            self.layers = [(d[f"w{i}"], d[f"b{i}"]) for i in range(n)]
            self.relu = int(d["activation"]) == 1
        self.ports = self.spec["ports"]
        self.stack = Stack(self.spec["stack"])
        self.repeat = int(self.spec.get("repeat", 1))  # 10 ms calls per decision (training's control_dt)
        self.first, self.calls, self.action = True, 0, None

    def reset(self, seed, info):
        self.first, self.calls, self.action = True, 0, None

    def act(self, obs):
        self.calls += 1
        if (self.calls - 1) % self.repeat:
            return self.action
        f = features(obs, self.spec["plan"])
        x = self.stack.reset(f) if self.first else self.stack.push(f)
        self.first = False
        h = np.array(x, dtype=np.float64)
        for i, (w, b) in enumerate(self.layers):
            h = h @ w.T + b
            if i < len(self.layers) - 1:
                h = np.maximum(h, 0.0) if self.relu else np.tanh(h)
        a = np.clip(h, -1.0, 1.0)
        self.action = {p: float(v) for p, v in zip(self.ports, a, strict=True)}
        return self.action
'''


def _device_lines(plan, ports_in_plan) -> tuple[list[str], list[str]]:
    """(constructor lines, obs dict entries) of the pybricks program for the plan's keys."""
    made, ctor, reads = set(), [], []
    for _kind, key, _arg in plan:
        port, q = key.split("/")
        if port in ports_in_plan:  # a motor
            var = "motor_" + port
            if var not in made:
                made.add(var)
                ctor.append(f"{var} = Motor(Port.{port})")
            reads.append(f'        "{key}": {var}.{"angle" if q == "angle" else "speed"}(),')
            continue
        if q not in PYBRICKS_READ:
            raise ArenaError(f"observation key {key!r} has no pybricks reading the arena can match (colour ids "
                             "and rgb differ on the brick): train with --obs-keys that leave it out")
        cls, call = PYBRICKS_READ[q]
        var = "brick" if cls == "EV3Brick" else f"{cls.lower()}_{port}"
        if var not in made:
            made.add(var)
            ctor.append(f"{var} = EV3Brick()" if cls == "EV3Brick" else f"{var} = {cls}(Port.{port})")
        reads.append(f'        "{key}": {var}.{call},')
    return ctor, reads


def pybricks_program(spec: dict, layers, activation: str) -> str:
    """main.py for the EV3 with pybricks: devices, the features (features.py inlined), the network
    as nested lists (pure Python: the brick has no numpy), and a 10 ms loop driving the motors."""
    ports = spec["ports"]
    ctor, reads = _device_lines(spec["plan"], set(ports))
    for p in ports:
        if f"motor_{p} = Motor(Port.{p})" not in ctor:
            ctor.append(f"motor_{p} = Motor(Port.{p})")
    weights = [([list(map(float, row)) for row in w], list(map(float, b))) for w, b in layers]
    # the code without its docstring and its `import math` (the program imports math at the top)
    feats_src = FEATURES_SRC.read_text().split('"""', 2)[2].replace("import math\n", "", 1).strip()
    ops = mlp.operations(layers)
    imports = sorted({c.split(" = ")[1].split("(")[0] for c in ctor} - {"EV3Brick"})
    return "\n".join([
        "#!/usr/bin/env pybricks-micropython",
        f'"""A PPO policy for {spec["world"]} ({spec["robot"]}), exported by `arena export`: pure Python, no numpy.',
        "",
        f"Per control step: {ops['multiply_adds']} multiply-adds and {ops['activations']} activations "
        f"({ops['parameters']} parameters); docs/training.md",
        'judges its cost on the EV3."""',
        "",
        "import math",
        "",
        *([f"from pybricks.ev3devices import {', '.join(imports)}"] if imports else []),
        *(["from pybricks.hubs import EV3Brick"] if any("EV3Brick" in c for c in ctor) else []),
        "from pybricks.parameters import Port",
        "from pybricks.tools import wait",
        "",
        "# -- features (arena/envs/features.py, verbatim) " + "-" * 40,
        feats_src,
        "",
        "# -- the network " + "-" * 70,
        f"PLAN = {json.dumps(spec['plan'])}",
        f"STACK = {int(spec['stack'])}",
        f"PERIOD_MS = {10 * int(spec['repeat'])}  # one decision per training control period",
        f"RELU = {activation == 'relu'}",
        f"LAYERS = {weights!r}",
        "",
        "",
        "def _act(x):",
        "    if RELU:",
        "        return x if x > 0.0 else 0.0",
        "    if x > 20.0:",
        "        return 1.0",
        "    if x < -20.0:",
        "        return -1.0",
        "    e = math.exp(2.0 * x)",
        "    return (e - 1.0) / (e + 1.0)",
        "",
        "",
        "def policy(x):",
        "    last = len(LAYERS) - 1",
        "    for i in range(len(LAYERS)):",
        "        w, b = LAYERS[i]",
        "        h = []",
        "        for k in range(len(b)):",
        "            row, s = w[k], b[k]",
        "            for j in range(len(x)):",
        "                s += row[j] * x[j]",
        "            h.append(s if i == last else _act(s))",
        "        x = h",
        "    return [1.0 if v > 1.0 else -1.0 if v < -1.0 else v for v in x]",
        "",
        "",
        "# -- the devices and the loop " + "-" * 58,
        *ctor,
        f"MOTORS = [{', '.join('motor_' + p for p in ports)}]",
        "",
        "",
        "def read():",
        "    return {",
        *reads,
        "    }",
        "",
        "",
        "stack = Stack(STACK)",
        "x = stack.reset(features(read(), PLAN))",
        "while True:",
        "    u = policy(x)",
        "    for k in range(len(MOTORS)):",
        "        MOTORS[k].dc(100.0 * u[k])",
        "    wait(PERIOD_MS)",
        "    x = stack.push(features(read(), PLAN))",
        "",
    ])

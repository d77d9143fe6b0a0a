"""A policy trained with `arena train`, exported by `arena export`: numpy only, so it runs in the
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

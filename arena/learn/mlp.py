"""A policy network as plain arrays: read from an SB3 policy, run with numpy or pure Python.

Layers are [(W, b), ...] with W of shape (out, in), as torch stores them; every layer but the
last is followed by the activation (tanh or relu), the last gives the action's mean, which the
deterministic policy clips to [-1, 1] as SB3's predict() does for a Box action space.
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = ("tanh", "relu")


def from_sb3(policy) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """(layers, activation) of an SB3 ActorCriticPolicy with a plain MLP actor (MlpPolicy)."""
    import torch.nn as nn

    layers, act = [], None
    for m in policy.mlp_extractor.policy_net:
        if isinstance(m, nn.Linear):
            layers.append((m.weight.detach().cpu().numpy().astype(np.float64), m.bias.detach().cpu().numpy().astype(np.float64)))
        elif isinstance(m, nn.Tanh | nn.ReLU):
            name = "tanh" if isinstance(m, nn.Tanh) else "relu"
            if act not in (None, name):
                raise ValueError("a policy that mixes activations cannot be exported")
            act = name
        else:
            raise ValueError(f"cannot export a policy layer of type {type(m).__name__}: use MlpPolicy")
    head = policy.action_net
    layers.append((head.weight.detach().cpu().numpy().astype(np.float64), head.bias.detach().cpu().numpy().astype(np.float64)))
    return layers, act or "tanh"


def forward(layers, activation: str, x: np.ndarray) -> np.ndarray:
    """The deterministic action(s) for observation(s) x (numpy; batched on the first axis)."""
    h = np.asarray(x, dtype=np.float64)
    for i, (w, b) in enumerate(layers):
        h = h @ w.T + b
        if i < len(layers) - 1:
            h = np.tanh(h) if activation == "tanh" else np.maximum(h, 0.0)
    return np.clip(h, -1.0, 1.0)


def to_npz_dict(layers, activation: str) -> dict[str, np.ndarray]:
    out = {"activation": np.array(ACTIVATIONS.index(activation)), "n_layers": np.array(len(layers))}
    for i, (w, b) in enumerate(layers):
        out[f"w{i}"], out[f"b{i}"] = w, b
    return out


def from_npz_dict(d) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    n = int(d["n_layers"])
    return [(np.asarray(d[f"w{i}"]), np.asarray(d[f"b{i}"])) for i in range(n)], ACTIVATIONS[int(d["activation"])]


def operations(layers) -> dict[str, int]:
    """What one forward pass costs: multiply-adds, activations (tanh/relu calls) and parameters."""
    macs = sum(w.shape[0] * w.shape[1] for w, _ in layers)
    acts = sum(w.shape[0] for w, _ in layers[:-1])
    params = sum(w.size + b.size for w, b in layers)
    return {"multiply_adds": int(macs), "activations": int(acts), "parameters": int(params)}

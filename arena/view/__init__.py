"""Seeing runs: 3D pictures (pybullet's TinyRenderer, no display needed), replay videos with an
overlay, sensor and motor plots, the `arena view` window and `arena drive` teleop.

The top of the layers beside the CLI: it re-simulates replays (arena.compete.replay) and reads
matches, and never runs inside a timed match. Rendering happens in a separate render-only Sim
(arena.view.stage) that mirrors the match's poses, so the physics client is never touched.
"""

"""Training and export: PPO (Stable-Baselines3) on a world, learning curves, and a trained policy
as a numpy-only agent or a pybricks program. At the compete level of the layers; SB3 and torch
are imported only by the functions that train or read a saved model (the dev extra)."""

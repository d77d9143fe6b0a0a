"""Kit Arena: a PyBullet simulator and challenge arena for kit robots."""

__version__ = "0.1.0"

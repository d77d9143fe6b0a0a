"""MicroPython's ujson: the standard json module's dumps, loads, dump and load."""

from json import dump, dumps, load, loads  # noqa: F401

"""Kit Arena's pybricks: the pybricks API on the simulated brick.

This folder is put on sys.path only inside a controller's sandboxed process, so a brick program
runs unmodified; it never shadows a real or stub `pybricks` package anywhere else.
"""

version = ("ev3", "kit-arena", "2.0")

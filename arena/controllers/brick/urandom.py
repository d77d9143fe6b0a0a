"""MicroPython's urandom. Seeded with 0 at start, so a program's random choices repeat from run to
run (call seed() to change that); a separate generator from the arena's own."""

import random as _random

_gen = _random.Random(0)


def seed(n=None):
    _gen.seed(0 if n is None else n)


def getrandbits(n):
    return _gen.getrandbits(n)


def random():
    return _gen.random()


def uniform(a, b):
    return _gen.uniform(a, b)


def randint(a, b):
    return _gen.randint(a, b)


def randrange(*args):
    return _gen.randrange(*args)


def choice(seq):
    return _gen.choice(seq)

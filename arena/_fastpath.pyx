# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled leaf loops (optional build). Each has a numpy twin in the module that imports it,
used when this extension is not built; tests/test_compiled.py checks the two agree exactly."""

from libc.math cimport hypot


def nearest_in(const double[::1] xs, const double[::1] ys, Py_ssize_t lo, Py_ssize_t hi, double x, double y):
    """(k, d): the first index k in [0, hi - lo) minimising hypot(xs[lo + k] - x, ys[lo + k] - y)."""
    cdef Py_ssize_t i, best = 0
    cdef double d, best_d = hypot(xs[lo] - x, ys[lo] - y)
    for i in range(lo + 1, hi):
        d = hypot(xs[i] - x, ys[i] - y)
        if d < best_d:
            best_d, best = d, i - lo
    return best, best_d

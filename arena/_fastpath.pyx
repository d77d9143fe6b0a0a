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


cimport numpy as cnp

cnp.import_array()


def pack(dict raw, list names, list sizes):
    """{name: float32 array of its reading(s)} with each array its own memory: a reading of size
    1 is a float, a larger one a sequence of floats. Values are cast as np.array(..., float32)
    casts them (round to nearest)."""
    cdef dict obs = {}
    cdef Py_ssize_t k, j, n
    cdef cnp.npy_intp dim
    cdef cnp.ndarray a
    cdef float* data
    for k in range(len(names)):
        name = names[k]
        n = sizes[k]
        dim = n
        a = cnp.PyArray_EMPTY(1, &dim, cnp.NPY_FLOAT32, 0)
        data = <float*> cnp.PyArray_DATA(a)
        v = raw[name]
        if n == 1:
            data[0] = <float> (<double> v)
        else:
            for j in range(n):
                data[j] = <float> (<double> v[j])
        obs[name] = a
    return obs


def write_row(float[:, ::1] out, Py_ssize_t row, dict raw, list names, list sizes):
    """Raw readings into one row of a float32 table, in key order (what env.packer.flat lists),
    cast as numpy casts floats to float32."""
    cdef Py_ssize_t k, j, n, col = 0
    for k in range(len(names)):
        v = raw[names[k]]
        n = sizes[k]
        if n == 1:
            out[row, col] = <float> (<double> v)
        else:
            for j in range(n):
                out[row, col + j] = <float> (<double> v[j])
        col += n


def split_columns(const float[:, ::1] table, list names, list sizes):
    """{name: a fresh C-contiguous float32 (rows, size) copy of that key's columns}."""
    cdef dict out = {}
    cdef Py_ssize_t k, i, j, n, col = 0, rows = table.shape[0]
    cdef cnp.npy_intp dims[2]
    cdef cnp.ndarray a
    cdef float* data
    dims[0] = rows
    for k in range(len(names)):
        n = sizes[k]
        dims[1] = n
        a = cnp.PyArray_EMPTY(2, dims, cnp.NPY_FLOAT32, 0)
        data = <float*> cnp.PyArray_DATA(a)
        for i in range(rows):
            for j in range(n):
                data[i * n + j] = table[i, col + j]
        out[names[k]] = a
        col += n
    return out

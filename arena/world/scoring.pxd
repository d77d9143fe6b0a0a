# Cython declarations for scoring.py (pure Python mode); see devices.pxd.
cimport cython

cdef class Scorer:
    cdef public object world, specs, layout
    cdef public int players
    cdef public bint needs_contacts, _finished
    cdef public list _inits, _updates, _values, _finishes, _weights, _info_keys, states, _totals
    cdef public double time

    @cython.locals(i=int, k=int, n=int, updates=list, states=list, row=list, new=list)
    cpdef update(self, object snap)
    @cython.locals(k=int, n=int, values=list, weights=list, finishes=list, totals=list, row=list, total=double,
                   finished=bint, v=double, w=double)
    cpdef _fold(self)
    cpdef double total(self, int player=*)
    @cython.locals(k=int, row=list, keys=list, values=list, info=dict)
    cpdef dict info(self, int player=*)

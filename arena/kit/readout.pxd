# Cython declarations for readout.py (pure Python mode): when the optional compiled build is
# present these classes become extension types with C-typed fields; without it readout.py runs
# as plain Python with identical results. Keep every attribute the .py sets declared here.
cimport cython

cdef double _HALF_ULP_1  # a C double (not visible from Python)

cpdef double _clip(double v, double lo, double hi)
cpdef double _rint(double x)
@cython.locals(r=double)
cpdef double _floor(double x)

cdef class Noise:
    cdef public object rng
    cdef public list _buf
    @cython.locals(v=double)
    cpdef double draw(self, double sigma)

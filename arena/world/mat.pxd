# Cython declarations for mat.py (pure Python mode); see devices.pxd.
cimport cython

cdef class Mat:
    cdef public double width, height, res
    cdef public int nx, ny
    cdef public object rgb, _seen
    cdef float[:, :, ::1] _view
    @cython.locals(fx=double, fy=double, i=int, j=int, k=int, ty=double, tx=double, wa=double, wb=double,
                   wc=double, wd=double, out=double[4])
    cpdef tuple sample(self, double x, double y)

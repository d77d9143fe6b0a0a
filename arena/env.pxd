# Cython declarations for env.py (pure Python mode); see devices.pxd. ArenaEnv stays a Python
# class (it subclasses gymnasium.Env); its per-step helpers are typed here.
cimport cython

cdef class ObservationPacker:
    cdef public list keys, slices, _names, _vector, _sizes
    cdef public object space

    @cython.locals(k=int, flat=list, names=list, vector=list)
    cpdef list flat(self, dict raw)

@cython.locals(values=list, out=list, u=double)
cpdef list clean_action(object action, int n)

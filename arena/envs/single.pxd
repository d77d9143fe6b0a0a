# Cython declarations for env.py (pure Python mode); see devices.pxd. ArenaEnv stays a Python
# class (it subclasses gymnasium.Env); its per-step helpers are typed here.
cimport cython

cdef class ObservationPacker:
    cdef public list keys, names, sizes
    cdef public object space

@cython.locals(values=list, out=list, u=double)
cpdef list clean_action(object action, int n)

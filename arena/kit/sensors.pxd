# Cython declarations for sensors.py (pure Python mode); see readout.pxd.
cimport cython
from arena.kit.readout cimport Noise, _clip, _floor, _rint

cdef double _DEG  # a C double (not visible from Python)

cdef class SensorFrame:
    cdef public double px, py, pz, xx, xy, xz, zx, zy, zz

cdef class ColorSensor:
    cdef public str port
    cdef public double lens_offset, bias, gain, noise_pct
    cdef public bint full
    cdef public tuple quantities
    cdef public Noise noise
    @cython.locals(px=double, py=double, pz=double, zx=double, zy=double, zz=double, off=double, lx=double,
                   ly=double, h=double, r=double, g=double, b=double, lum=double, falloff=double, k=double,
                   refl=double, sr=double, sg=double, sb=double, scale=double, noise=Noise)
    cpdef dict read(self, SensorFrame frame, object mat, double ambient)

@cython.locals(best=int, best_d2=double, nr=double, ng=double, nb=double, d2=double)
cpdef int classify(double r, double g, double b, bint surface)

cdef class UltrasonicSensor:
    cdef public str port
    cdef public tuple local_dirs, axis, origin
    cdef public double bias, next_ping, value
    cdef public bint emitting
    cdef public Noise noise
    cpdef bint due(self, double t)
    @cython.locals(ox=double, oy=double, oz=double, px=double, py=double, pz=double, dx=double, dy=double,
                   dz=double, d=double, ax=double, ay=double, az=double, bx=double, by=double, bz=double, lim=double)
    cpdef bint faces(self, UltrasonicSensor other)
    @cython.locals(r0=double, r1=double, r2=double, r3=double, r4=double, r5=double, r6=double, r7=double,
                   r8=double, ox=double, oy=double, oz=double, reach=double, lx=double, ly=double, lz=double,
                   ends=list)
    cpdef ping(self, double t, tuple rot, tuple origin, object cast)
    @cython.locals(best=double, ax=double, ay=double, az=double, min_cos=double, cos_inc=double, frac=double,
                   mm_=double, reach=double, nx=double, ny=double, nz=double, body=int)
    cpdef update(self, double t, object hits)
    cpdef dict read(self)

cdef class GyroSensor:
    cdef public str port
    cdef public double bias, angle, rate, gain_cw, gain_ccw
    @cython.locals(true=double, gain=double)
    cpdef update(self, double yaw_rate, double dyaw, double dt)
    cpdef dict read(self)

cdef class TouchSensor:
    cdef public str port
    cdef public tuple links
    cdef public double pressed
    cpdef dict read(self)

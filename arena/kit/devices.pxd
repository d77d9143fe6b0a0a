# Cython declarations for devices.py (pure Python mode): when the optional compiled build is
# present these classes become extension types with C-typed fields; without it devices.py runs
# as plain Python with identical results. Keep every attribute the .py sets declared here.
cimport cython

cdef double NOMINAL_V, _DEG, _HALF_ULP_1  # module constants as C doubles (not visible from Python)

cpdef double _clip(double v, double lo, double hi)
cpdef double _rint(double x)
@cython.locals(r=double)
cpdef double _floor(double x)

cdef class MotorModel:
    cdef public double stall_torque, no_load_speed, friction, viscous, drive_offset, max_speed
    cdef public double ideal_stall, ideal_speed
    @cython.locals(s=double, a=double, sign=double, w=double, d=double, k=double, w0=double, target=double,
                   wp=double, net=double)
    cpdef tuple drive(self, double duty, double omega, double volts)
    cpdef tuple coast(self, double omega)
    @cython.locals(emf=double)
    cpdef tuple brake(self, double omega, double volts)

cdef class Motor:
    cdef public object part, target, then
    cdef public str port, mode
    cdef public MotorModel model
    cdef public double gear, sign, dt, backlash, volts, duty, ref_speed, ref_angle, integral, offset_deg
    cdef public double angle_true, speed_est, stall_timer, applied, gap, effort
    cdef public int window
    cdef public list history
    cdef public bint stalled
    @cython.locals(effort=bint, history=list, newest=double, oldest=double)
    cpdef control(self, double angle_joint)
    @cython.locals(dt=double, ref_speed=double, step=double, gap=double, measured=double, err=double, ff=double,
                   u=double, d=double)
    cpdef double _regulate(self)
    @cython.locals(g=double, sign=double, omega=double, target=double, torque=double)
    cpdef tuple physics(self, double omega_joint)
    cpdef double _encoder(self)

cdef class Noise:
    cdef public object rng
    cdef public list _buf
    @cython.locals(v=double)
    cpdef double draw(self, double sigma)

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
    cdef public tuple local_dirs, axis
    cdef public double bias, next_ping, value
    cdef public Noise noise
    cpdef bint due(self, double t)
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
    cdef public double bias, angle, rate
    cdef public Noise noise
    @cython.locals(rate=double)
    cpdef update(self, double yaw_rate, double dyaw, double dt)
    cpdef dict read(self)

cdef class TouchSensor:
    cdef public str port
    cdef public tuple links
    cdef public double pressed
    cpdef dict read(self)

# Cython declarations for motors.py (pure Python mode); see readout.pxd.
cimport cython
from arena.kit.readout cimport _floor

cdef double NOMINAL_V, _DEG  # module constants as C doubles (not visible from Python)

cdef class MotorModel:
    cdef public double stall_torque, no_load_speed, friction, viscous, drive_offset, max_speed
    cdef public double ideal_stall, ideal_speed
    @cython.locals(s=double, a=double, sign=double, w=double, d=double, k=double, w0=double, target=double,
                   wp=double, net=double, c=double, excess=double)
    cpdef tuple drive(self, double duty, double omega, double volts)
    cpdef tuple coast(self, double omega)
    @cython.locals(emf=double)
    cpdef tuple brake(self, double omega, double volts)

cdef class Motor:
    cdef public object part, pending, settings, servo, defaults, supply
    cdef public str port, mode
    cdef public MotorModel model
    cdef public double gear, sign, dt, backlash, volts, duty, offset_deg, t
    cdef public double angle_true, omega, speed_est, applied, gap, effort
    cdef public int window, rate_window, periods
    cdef public list history, counts
    cdef public bint stalled
    @cython.locals(history=list, counts=list, count=double, rate=double, swing=double)
    cpdef control(self, double angle_joint)
    @cython.locals(d=double)
    cpdef double _lift(self, double u)
    @cython.locals(g=double, sign=double, omega=double, target=double, torque=double)
    cpdef tuple physics(self, double omega_joint)
    cpdef double _encoder(self)
    cpdef double _count(self)

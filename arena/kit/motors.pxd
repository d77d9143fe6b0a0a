# Cython declarations for motors.py (pure Python mode); see readout.pxd.
cimport cython
from arena.kit.readout cimport _clip, _floor

cdef double NOMINAL_V, _DEG  # module constants as C doubles (not visible from Python)

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

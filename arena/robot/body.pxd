# Cython declarations for robot.py (pure Python mode); see devices.pxd.
cimport cython
from arena.sim cimport Sim
from arena.kit.motors cimport Motor
from arena.kit.readout cimport Noise, _rint
from arena.kit.sensors cimport ColorSensor, GyroSensor, SensorFrame, TouchSensor, UltrasonicSensor

cdef double _PI, _TWO_PI

cdef class Pose:
    cdef public double x, y, z, yaw, up

cdef class Robot:
    cdef public object spec, asm, size_mm, _cast
    cdef public Sim sim
    cdef public str name
    cdef public double control_dt, volts_nominal, volts, mass, prev_yaw
    cdef public dict motors, motor_ids, sensors, sensor_parts, joint_of, _mounts
    cdef public list _plan, _motor_keys, joints, joint_ports, _joint_motors
    cdef public tuple _com, base_pos, base_quat, rot9, lin_vel, ang_vel
    cdef public int body
    cdef public long state_generation
    cdef public Noise battery_noise
    cdef public Pose pose

    @cython.locals(motor=Motor)
    cpdef control(self)
    @cython.locals(motor=Motor, t=double, f=double)
    cpdef physics(self)
    @cython.locals(r=tuple, pos=tuple, cx=double, cy=double, cz=double, ox=double, oy=double, oz=double,
                   px=double, py=double, pz=double, r0=double, r1=double, r2=double, r3=double, r4=double, r5=double, r6=double, r7=double, r8=double)
    cpdef _fetch_state(self)
    @cython.locals(dx=double, dy=double, dz=double, px=double, py=double, pz=double, fr=SensorFrame,
                   r0=double, r1=double, r2=double, r3=double, r4=double, r5=double, r6=double, r7=double, r8=double,
                   m0=double, m1=double, m2=double, m3=double, m4=double, m5=double, m6=double, m7=double, m8=double)
    cpdef SensorFrame _frame_at(self, tuple mount)
    @cython.locals(fr=SensorFrame, r0=double, r1=double, r2=double, r3=double, r4=double, r5=double, r6=double, r7=double, r8=double,
                   m0=double, m1=double, m2=double, m3=double, m4=double, m5=double, m6=double, m7=double, m8=double)
    cpdef tuple _sonar_pose(self, tuple mount)
    @cython.locals(dt=double, yaw=double, dyaw=double, color=ColorSensor, sonar=UltrasonicSensor, gyro=GyroSensor,
                   touch=TouchSensor, motor=Motor, pressed=double, obs=dict, vals=dict,
                   fr=SensorFrame, wx=double, wy=double, wz=double)
    cpdef dict sense(self, double t, object mat, double ambient)

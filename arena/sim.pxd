# Cython declarations for sim.py (pure Python mode); see devices.pxd. Sim's per-step methods are
# typed so the robot and the match call them directly.
cimport cython

cdef class Sim:
    cdef public double physics_dt, control_dt, time
    cdef public int substeps, client
    cdef public long steps, generation
    cdef public dict _joint_counts

    cpdef step(self)
    cpdef pose(self, int body)
    cpdef velocity(self, int body)
    @cython.locals(out=list)
    cpdef list joint_angles(self, int body, object joints)
    @cython.locals(out=list)
    cpdef list joint_speeds(self, int body, object joints)
    cpdef drive_joints(self, int body, object joints, object target_velocities, object max_torques)
    cpdef list rays(self, object starts, object ends)
    cpdef contacts(self, int body, object link=*)
    cpdef add_state(self, list flat, int body)
    @cython.locals(n=object)
    cpdef add_joint_states(self, list flat, int body)

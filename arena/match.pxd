# Cython declarations for match.py (pure Python mode); see devices.pxd.
cimport cython
from arena.robot.body cimport Pose, Robot
from arena.world.scoring cimport Scorer
from arena.sim cimport Sim

cdef class Match:
    cdef public bint randomize
    cdef public object world_spec, world, layout_rng, layout, mat
    cdef public Sim sim
    cdef public Scorer scorer
    cdef public list robot_specs, robots
    cdef public object obs, object_bodies, static_bodies
    cdef public dict body_names
    cdef public list sonars, bodies  # ultrasonic sensors by port per robot; body ids (presence)
    cdef public int max_steps, steps

    @cython.locals(r=Robot, t=double, obs=list, sim=Sim, robots=list, _k=int)
    cpdef list step(self, object commands)
    @cython.locals(r=Robot, pose=Pose, robots=list)
    cpdef snapshot(self)

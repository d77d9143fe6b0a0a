"""Rescue line baseline for the rover (colour S3 down, ultrasonic S4 forward, gyro S2, B and C).

Follow: a proportional follower on the right-hand edge of the line (about 50 % reflection).
Green marker: the sensor runs along the right edge, so it passes over a marker on the right of
the line (colour id 3). Then it drives 50 mm (axle just short of the crossing line) and spins right, which leaves
the sensor on the right-hand edge of the new branch.
Gap: when it has seen nothing but white for 80 ms after running straight for 0.6 s, it steers
back onto the path it was on 0.6 s before (dead reckoning from the gyro and the wheels: the
follower veers left as the line fades, and the motors' ramps make that veer last) and drives on
for up to 250 mm; then it goes back to following. Lost in a curve or just after a detour, the
line is on its left, so the follower's own left turn finds it.
Obstacle: something within 90 mm ahead starts a drive round it on the left, by gyro and wheel
odometry: left 90, forward 200 mm, right 90, forward 300 mm, right 90, forward until the line,
a little past it, and spin left until the sensor finds the line's edge again.
Bump: if the wheels stall while following, it pushes hard for 0.4 s to climb over.
The gyro's drift is measured during the first second, standing still.
Every speed command asks for 3200 deg/s^2 ramps (the "acc" key; on the brick,
Motor.control.limits(acceleration=3200)): twice the large motor's default, which keeps the
gap and detour manoeuvres as short as they were tuned.
"""

import math

TARGET = 50.0
BASE = 0.36
GAIN = 0.009
WHITE = 85.0  # % reflection: surely off the line
BLACK = 30.0
MM_PER_DEG = 0.4887  # the rover's 56 mm wheel: pi * 56 / 360 mm per wheel degree
OBSTACLE_MM = 90.0
CALIBRATE = 100  # control steps
GREEN = 3  # colour id
ACC = 3200.0  # deg/s^2: the ramps this follower was tuned with


class Controller:
    def reset(self, seed, info):
        self.n = 0
        self.rate_sum = 0.0
        self.bias = 0.0
        self.white = 0
        self.hold = None  # odometer (mm) where the gap began, while bridging it
        self.script = []  # obstacle detour: list of (kind, value)
        self.task = None
        self.spin_from = None
        self.stuck = 0
        self.green = 0
        self.green_done = 0
        self.boost = 0
        self.x = self.y = 0.0  # dead reckoning (mm; y along heading 0, x to its right)
        self.last_odo = 0.0
        self.track = []  # recent (x, y, heading) while following

    # -- helpers -------------------------------------------------------------------------------------
    def _heading(self, obs):
        return obs["S2/angle"] - self.bias * self.n * 0.01  # deg, clockwise positive

    def _odo(self, obs):
        return (obs["B/angle"] + obs["C/angle"]) / 2 * MM_PER_DEG

    def _dead_reckon(self, obs):
        odo = self._odo(obs)
        d, self.last_odo = odo - self.last_odo, odo
        h = math.radians(self._heading(obs))
        self.x += d * math.sin(h)
        self.y += d * math.cos(h)

    def _back_to_line(self):
        """Heading that brings the robot back onto the line it was following before the gap: the
        follower veers left as the line fades, so aim back across by the sideways offset."""
        x0, y0, h0 = self.hold_line
        r = math.radians(h0)
        side = (self.x - x0) * math.cos(r) - (self.y - y0) * math.sin(r)  # mm right of the old path
        return h0 - max(-25.0, min(25.0, 0.6 * side))

    def _straight(self, obs, heading, speed=300.0):
        corr = max(-100.0, min(100.0, 6.0 * (heading - self._heading(obs))))
        return {"B": {"run": speed + corr, "acc": ACC}, "C": {"run": speed - corr, "acc": ACC}}

    def _run_script(self, obs):
        """One step of the detour; returns the command, or None when it is over."""
        h = self._heading(obs)
        if self.task is None:
            if not self.script:
                return None
            kind, val = self.script.pop(0)
            if kind == "turn":
                self.goal = self.base_heading + val
            else:
                self.goal = val
            self.task = kind
            self.start = self._odo(obs)
        if self.task == "turn":
            err = self.goal - h
            if abs(err) < 1.5:
                self.task = None
                return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
            s = max(50.0, min(250.0, 4.0 * abs(err))) * (1 if err > 0 else -1)
            return {"B": {"run": s, "acc": ACC}, "C": {"run": -s, "acc": ACC}}
        if self.task == "spin":  # left on the spot until the line's edge, at most `goal` deg
            if self.spin_from is None:
                self.spin_from = h
            if obs["S3/reflection"] < TARGET or self.spin_from - h >= self.goal:
                self.task = self.spin_from = None
                return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
            return {"B": {"run": -150.0, "acc": ACC}, "C": {"run": 150.0, "acc": ACC}}
        if self.task == "move":
            if abs(self._odo(obs) - self.start) >= self.goal:
                self.task = None
                return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
            return self._straight(obs, self.goal_heading(), 300.0)
        # "find": forward until the line, at most `goal` mm
        if obs["S3/reflection"] < BLACK or abs(self._odo(obs) - self.start) >= self.goal:
            self.task = None
            return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
        return self._straight(obs, self.goal_heading(), 200.0)

    def goal_heading(self):
        return self.leg_heading

    # -- the loop ------------------------------------------------------------------------------------
    def act(self, obs):
        self.n += 1
        self._dead_reckon(obs)
        if self.n <= CALIBRATE:
            self.rate_sum += obs["S2/rate"]
            self.bias = self.rate_sum / self.n
            return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
        if self.script or self.task:
            # legs of the detour keep the heading of the last turn
            if self.task is None and self.script and self.script[0][0] == "turn":
                self.leg_heading = self.base_heading + self.script[0][1]
            cmd = self._run_script(obs)
            if cmd is not None:
                return cmd
        if obs["S4/distance"] < OBSTACLE_MM:
            self.base_heading = round(self._heading(obs) / 90.0) * 90.0  # tiles: the line runs on the grid
            self.leg_heading = self.base_heading
            self.track.clear()  # the path before the detour is no guide after it
            self.script = [("turn", -90.0), ("move", 200.0), ("turn", 0.0), ("move", 300.0), ("turn", 90.0),
                           ("find", 300.0), ("move", 40.0), ("spin", 150.0)]
            return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
        refl = obs["S3/reflection"]
        self.green = self.green + 1 if obs["S3/color"] == GREEN else 0
        if self.green == 3 and self.n > self.green_done:  # a turn marker: the intersection is just ahead
            self.base_heading = round(self._heading(obs) / 90.0) * 90.0
            self.leg_heading = self.base_heading
            self.track.clear()
            self.script = [("move", 50.0), ("turn", 90.0)]  # to the near side of the cross, then right
            self.green_done = self.n + 300
            return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
        if self.hold is not None:  # bridging a gap
            if refl < BLACK + 10 or self._odo(obs) - self.hold > 250.0:
                self.hold = None
                self.white = 0
            else:
                return self._straight(obs, self._back_to_line(), 250.0)
        self.white = self.white + 1 if refl > WHITE else 0
        self.track.append((self.x, self.y, self._heading(obs)))
        del self.track[:-60]
        # lost the line where it ran straight (a gap): back onto where it ran 0.6 s ago, and straight
        # on; lost in a curve or just after a detour, the line is on the left: keep turning left
        if self.white == 8 and len(self.track) == 60 and abs(self.track[-10][2] - self.track[0][2]) < 10.0:
            self.hold_line = self.track[0]
            self.hold = self._odo(obs)
            return self._straight(obs, self._back_to_line(), 250.0)
        turn = GAIN * (refl - TARGET)
        # stuck (a speed bump in front of the wheels): push harder for a moment
        self.stuck = self.stuck + 1 if abs(obs["B/speed"]) + abs(obs["C/speed"]) < 60 else 0
        if self.stuck > 30:
            self.boost = 40
        if self.boost > 0:
            self.boost -= 1
            return {"B": 0.9 - turn, "C": 0.9 + turn}
        return {"B": BASE - turn, "C": BASE + turn}

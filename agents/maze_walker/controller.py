"""A right-hand wall follower for 30 cm maze cells (rover: ultrasonic S4 forward, bumper on S1,
gyro S2, motors B and C).

The robot stands in the middle of a cell facing along the grid. At each cell it turns right and
looks; if that way is blocked it turns left and looks again (ahead, then left, then back). The
first open side wins: it drives one cell that way and starts over. In a maze without loops,
keeping a hand on the right wall visits every cell, so it finds the exit.

Driving: it measures the gyro's drift standing still for the first second, then keeps a heading
from the gyro. Spins turn to an absolute heading (a multiple of 90); straight moves hold the
heading with a proportional correction and count the distance on the wheel encoders (0.4653 mm
per wheel degree, measured on the rover). Whenever a wall is ahead it drives gently into it until
the flat bumper lies against it, which squares the robot to the grid: it takes that as its exact
heading, then backs off to the middle of the cell. So neither heading nor distance errors add up.
"""

CELL_MM = 300.0
MM_PER_DEG = 0.4653
OPEN_MM = 250.0  # ultrasonic reading beyond this: no wall at the cell's edge
BACK_OFF_MM = 29.0  # bumper against the wall -> axle in the middle of the cell
LOOK_STEPS = 10  # control steps to wait for a fresh ultrasonic ping (40 ms period)
CALIBRATE = 100
HOLD = {"B": {"stop": "hold"}, "C": {"stop": "hold"}}


class Controller:
    def reset(self, seed, info):
        self.plan = [("turn", 1), ("look", None)]  # start: try the right-hand side first
        self.task = None
        self.n = 0
        self.rate_sum = 0.0
        self.bias = 0.0
        self.zero = 0.0  # gyro heading correction from the last squaring
        self.heading = 0.0  # the grid heading it should have (deg clockwise, multiple of 90)

    def _h(self, obs):
        return obs["S2/angle"] - self.bias * self.n * 0.01 - self.zero

    def _odo(self, obs):
        return (obs["B/angle"] + obs["C/angle"]) / 2 * MM_PER_DEG

    def _decide(self, obs, arrived):
        blocked = obs["S4/distance"] <= OPEN_MM or obs["S1/pressed"] > 0
        square = [("square", None), ("move", -BACK_OFF_MM)] if blocked else []
        if arrived:
            self.plan = square + self.plan
        elif not blocked:
            self.plan = [("move", CELL_MM), ("look", "arrived"), ("turn", 1), ("look", None)]
        else:
            self.plan = square + [("turn", -1), ("look", None)]

    def act(self, obs):
        self.n += 1
        if self.n <= CALIBRATE:
            self.rate_sum += obs["S2/rate"]
            self.bias = self.rate_sum / self.n
            return HOLD
        if self.task is None:
            if not self.plan:
                return HOLD
            kind, arg = self.plan.pop(0)
            self.task, self.arg, self.count = kind, arg, 0
            self.start = self._odo(obs)
            if kind == "turn":
                self.heading += 90.0 * arg
        self.count += 1
        h = self._h(obs)
        if self.task == "look":
            if self.count >= LOOK_STEPS:
                self.task = None
                self._decide(obs, self.arg == "arrived")
            return HOLD
        if self.task == "square":  # push gently; the flat bumper squares the robot on the wall
            if obs["S1/pressed"] > 0 and self.count < 90:
                self.count = 90
            if self.count >= 120:
                self.zero += h - self.heading  # now it is exactly on the grid heading
                self.task = None
                return HOLD
            return {"B": 0.35, "C": 0.35}
        if self.task == "turn":
            err = self.heading - h
            if abs(err) < 1.0 or self.count > 400:
                self.task = None
                return HOLD
            s = max(40.0, min(220.0, 4.0 * abs(err))) * (1 if err > 0 else -1)
            return {"B": {"run": s}, "C": {"run": -s}}
        # move
        left = abs(self.arg) - abs(self._odo(obs) - self.start)
        stuck = self.count > 30 and abs(obs["B/speed"]) + abs(obs["C/speed"]) < 40
        if left <= 2.0 or stuck:
            self.task = None
            return HOLD
        v = max(80.0, min(450.0, 4.0 * left + 60.0)) * (1 if self.arg > 0 else -1)
        corr = max(-100.0, min(100.0, 6.0 * (self.heading - h)))
        return {"B": {"run": v + corr}, "C": {"run": v - corr}}

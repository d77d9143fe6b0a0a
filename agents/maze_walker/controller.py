"""A right-hand wall follower for 30 cm maze cells (rover: ultrasonic S4 forward, bumper on S1,
motors B and C).

The robot stands in the middle of a cell facing along the grid. At each cell it turns right and
looks; if that way is blocked it turns left and looks again (ahead, then left, then back). The
first open side wins: it drives one cell that way and starts over. In a maze without loops,
keeping a hand on the right wall visits every cell, so it finds the exit.

Dead reckoning drifts, so it leans on the walls: whenever a wall is ahead it drives gently into
it until the bumper lies flat against it (squared to the grid), then backs off to the middle of
the cell and takes that as its exact heading. Turns aim at an absolute difference between the
wheel angles (odometry heading) at a slow 200 deg/s, where the tyres barely slip (measured on
the rover: 183 wheel degrees each way per 90 degrees, 2.15 wheel degrees per mm).
"""

CELL_MM = 300.0
DEG_PER_MM = 2.149
DEG_PER_QUARTER = 183.0  # each wheel, opposite ways, for a 90 degree spin at TURN_SPEED
TURN_SPEED = 200.0  # deg/s
MOVE_SPEED = 450.0  # deg/s
OPEN_MM = 250.0  # ultrasonic reading beyond this: no wall at the cell's edge
BACK_OFF_MM = 29.0  # bumper against the wall -> axle in the middle of the cell
LOOK_STEPS = 10  # control steps to wait for a fresh ultrasonic ping (40 ms period)
K = 2 * DEG_PER_QUARTER / 90.0  # wheel-angle difference per degree of heading


class Controller:
    def reset(self, seed, info):
        self.plan = [("turn", 1), ("look", None)]  # start: try the right-hand side first
        self.step = None  # the move in progress: (left target, right target, steps left)
        self.wait = 0
        self.squaring = 0
        self.looking = None
        self.still = 0
        self.heading = 0.0  # deg clockwise from the start, always a multiple of 90
        self.offset = 0.0  # wheel difference at heading 0 (reset when squared on a wall)

    def _start(self, kind, arg, obs):
        b, c = obs["B/angle"], obs["C/angle"]
        self.still = 0
        if kind == "turn":  # +1 = right (clockwise), -1 = left
            self.heading += 90.0 * arg
            d = (self.heading * K + self.offset - (b - c)) / 2
            self.step = (b + d, c - d, TURN_SPEED, 250)
        elif kind == "move":
            d = DEG_PER_MM * arg
            self.step = (b + d, c + d, MOVE_SPEED, 400)
        elif kind == "square":
            self.squaring = 120
        else:  # look: hold still until a new ping
            self.wait = LOOK_STEPS
            self.looking = arg

    def _moving(self, obs) -> bool:
        if self.step is None:
            return False
        tb, tc, speed, left = self.step
        still = abs(obs["B/speed"]) < 30 and abs(obs["C/speed"]) < 30
        self.still = self.still + 1 if still else 0
        done = abs(obs["B/angle"] - tb) < 4 and abs(obs["C/angle"] - tc) < 4 and still
        if done or left <= 0 or self.still > 25:  # there, out of time, or stuck against something
            self.step = None
            return False
        self.step = (tb, tc, speed, left - 1)
        return True

    def _command(self):
        if self.step is None:
            return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
        tb, tc, speed, _ = self.step
        return {"B": {"target": tb, "speed": speed}, "C": {"target": tc, "speed": speed}}

    def _decide(self, obs):
        """After a look: go that way if open, else square up on the wall and try the next side.
        After arriving in a cell it also looks ahead once, only to square up on a wall there
        before turning (a robot off the middle of a cell would hit a wall while spinning)."""
        blocked = obs["S4/distance"] <= OPEN_MM or obs["S1/pressed"] > 0
        square = [("square", None), ("move", -BACK_OFF_MM)] if blocked else []
        if self.looking == "arrived":
            self.plan = square + self.plan
        elif not blocked:
            self.plan = [("move", CELL_MM), ("look", "arrived"), ("turn", 1), ("look", None)]
        else:
            self.plan = square + [("turn", -1), ("look", None)]

    def act(self, obs):
        if self.squaring > 0:  # push gently into the wall; the flat bumper squares the robot
            self.squaring -= 1
            if obs["S1/pressed"] > 0 and self.squaring > 30:
                self.squaring = 30  # touching: a little longer to lie flat, then stop
            if self.squaring == 0:
                self.offset = (obs["B/angle"] - obs["C/angle"]) - self.heading * K
                return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
            return {"B": 0.35, "C": 0.35}
        if self.wait > 0:
            self.wait -= 1
            if self.wait == 0:
                self._decide(obs)
            return self._command()
        if self._moving(obs):
            return self._command()
        if self.plan:
            kind, arg = self.plan.pop(0)
            self._start(kind, arg, obs)
            if kind == "square":
                return {"B": 0.35, "C": 0.35}
        return self._command()

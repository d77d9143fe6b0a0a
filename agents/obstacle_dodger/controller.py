"""Obstacle run baseline for the rover (ultrasonic S4 forward, motors B and C).

It keeps a heading from the gyro (S2; its small drift does not matter on a one-minute run to a
goal stripe as wide as the table) and steers to it with a proportional law; it tracks how far
it is off its start line with wheel odometry. Whatever the ultrasonic sensor sees closer than 350 mm makes it swerve
45 degrees for a while: towards the side that brings it back to its original line, so it does
not wander off across the table. Then it turns back east. If something gets closer than 150 mm
(or the bumper is pressed) the swerve was the wrong way: it backs off and swerves the other way.
"""

import math

MM_PER_DEG = 0.4653  # measured on the rover: mm travelled per wheel degree
NEAR_MM = 350.0
TOO_CLOSE_MM = 150.0
SWERVE_DEG = 45.0
SWERVE_STEPS = 70
BASE = 0.55
GAIN = 0.02  # duty per degree of heading error


class Controller:
    def reset(self, seed, info):
        self.swerve = 0
        self.side = 1.0
        self.y = 0.0  # mm left of the start line (odometry)
        self.last = None
        self.backing = 0

    def act(self, obs):
        b, c = obs["B/angle"], obs["C/angle"]
        heading = -obs["S2/angle"]  # the gyro is clockwise-positive; counter-clockwise here
        if self.last is not None:
            ds = ((b - self.last[0]) + (c - self.last[1])) / 2 * MM_PER_DEG
            self.y += ds * math.sin(math.radians(heading))
        self.last = (b, c)
        if self.backing > 0:  # too close: back away, then swerve the other way
            self.backing -= 1
            return {"B": -0.4, "C": -0.4}
        if obs["S4/distance"] < TOO_CLOSE_MM or obs["S1/pressed"] > 0:
            self.backing = 50
            self.side = -self.side
            self.swerve = SWERVE_STEPS + 50
            return {"B": -0.4, "C": -0.4}
        if obs["S4/distance"] < NEAR_MM:
            if self.swerve == 0:
                self.side = -1.0 if self.y > 0 else 1.0  # swerve back towards the start line
            self.swerve = SWERVE_STEPS
        target = SWERVE_DEG * self.side if self.swerve > 0 else 0.0
        self.swerve = max(0, self.swerve - 1)
        turn = max(-0.35, min(0.35, GAIN * (target - heading)))
        return {"B": BASE - turn, "C": BASE + turn}

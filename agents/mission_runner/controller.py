"""Missions baseline for the rover: a fixed script of gyro-steered moves and spins.

The way many robot-game teams drive: stand still for one second to measure the gyro's drift
(the mean of S2/rate at rest), then keep a heading from the gyro angle minus that drift. Straight
moves run both motors at a speed with a proportional steering correction towards the heading,
for a distance counted on the wheel encoders (0.4887 mm per wheel degree: pi x 56 mm / 360, the
tyres barely slip), slowing down near the end. Spins turn on the spot to an absolute heading. The bumper
pushes the objects.

Plan (table mm, robot starting in base at (-950, 0) facing east; headings clockwise from east):
  M1: push the red cube from x = -500 into the red area (centre x = 100), back off;
  M2: go north to y = 400, turn east, push both yellow cylinders into the yellow area;
  M4: reverse to x = -900, turn south, drive down to y = -420: parked in the bay.
"""

MM_PER_DEG = 0.4887
CONTROL_S = 0.01
CALIBRATE_STEPS = 100

PLAN = [
    ("move", 890.0, 0.0),  # M1: the cube's centre ends near x = 100
    ("move", -300.0, 0.0),
    ("turn", -90.0),  # face north
    ("move", 400.0, -90.0),
    ("turn", 0.0),  # face east
    ("move", 610.0, 0.0),  # M2: the cylinders end near x = 400
    ("move", -1150.0, 0.0),  # back to x = -900
    ("turn", 90.0),  # face south
    ("move", 820.0, 90.0),  # M4: into the parking bay below base
]


class Controller:
    def reset(self, seed, info):
        self.plan = list(PLAN)
        self.steps = 0
        self.rate_sum = 0.0
        self.bias = 0.0
        self.task = None
        self.settle = 0

    def heading(self, obs):
        return obs["S2/angle"] - self.bias * self.steps * CONTROL_S

    def act(self, obs):
        self.steps += 1
        if self.steps <= CALIBRATE_STEPS:
            self.rate_sum += obs["S2/rate"]
            self.bias = self.rate_sum / self.steps
            return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
        if self.task is None:
            if not self.plan:
                return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
            self.task = self.plan.pop(0)
            self.start = (obs["B/angle"] + obs["C/angle"]) / 2
            self.settle = 0
        h = self.heading(obs)
        if self.task[0] == "turn":
            err = self.task[1] - h
            if abs(err) < 1.0:
                self.settle += 1
                if self.settle > 15:
                    self.task = None
                return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
            self.settle = 0
            s = max(40.0, min(220.0, 4.0 * abs(err))) * (1 if err > 0 else -1)
            return {"B": {"run": s}, "C": {"run": -s}}
        _, dist, target = self.task
        done_mm = ((obs["B/angle"] + obs["C/angle"]) / 2 - self.start) * MM_PER_DEG
        left = abs(dist) - abs(done_mm)
        if left <= 2.0:
            self.task = None
            return {"B": {"stop": "hold"}, "C": {"stop": "hold"}}
        v = max(80.0, min(500.0, 4.0 * left + 60.0)) * (1 if dist > 0 else -1)
        corr = max(-120.0, min(120.0, 8.0 * (target - h)))
        return {"B": {"run": v + corr}, "C": {"run": v - corr}}

"""A sumo sparring partner written as a brick-style controller class: charge, then circle.

It drives straight at the opponent's start (the robots start facing each other), and when its
colour sensor sees the white border it reverses, turns about 120 degrees on its encoders and
charges again. No ultrasonic: a deliberately simpler opponent than sumo_seeker.
"""

WHITE = 60.0  # % reflection of the white border
TURN_DEG = 330.0  # wheel degrees of opposite rotation for about a 120-degree turn


class Controller:
    def reset(self, seed, info):
        self.phase = "charge"
        self.mark = 0.0
        self.timer = 0

    def act(self, obs):
        if self.phase == "charge":
            if obs["S3/reflection"] > WHITE:
                self.phase, self.timer = "reverse", 35
                return {"B": -0.9, "C": -0.9}
            return {"B": 0.9, "C": 0.9}
        if self.phase == "reverse":
            self.timer -= 1
            if self.timer <= 0:
                self.phase, self.mark = "turn", obs["B/angle"]
            return {"B": -0.9, "C": -0.9}
        if abs(obs["B/angle"] - self.mark) >= TURN_DEG:
            self.phase = "charge"
        return {"B": 0.6, "C": -0.6}

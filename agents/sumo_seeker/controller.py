"""A sumo baseline for the sumo robot (ultrasonic S4 forward, colour sensor S3 down, motors B and C).

Search: spin on the spot until the ultrasonic sensor sees something within the ring (closer than
700 mm). Attack: drive at it at full power, steering towards the side where it was last seen.
Edge: on the white border (reflection over 60 %) back off and turn away, unless the opponent is
right in front of the bumper (then keep pushing: it is the one about to go out).
"""

SEE_MM = 700.0  # a target closer than this is inside the ring
CONTACT_MM = 120.0  # pushing: ignore the border
WHITE = 60.0  # % reflection of the white border


class Controller:
    def reset(self, seed, info):
        self.backing = 0
        self.spin = 1.0

    def act(self, obs):
        dist = obs["S4/distance"]
        if self.backing > 0:
            self.backing -= 1
            return {"B": -0.8, "C": -0.8} if self.backing > 25 else {"B": 0.6 * self.spin, "C": -0.6 * self.spin}
        if obs["S3/reflection"] > WHITE and dist > CONTACT_MM:
            self.backing = 60
            return {"B": -0.8, "C": -0.8}
        if dist < SEE_MM:
            return {"B": 1.0, "C": 1.0}
        return {"B": 0.4 * self.spin, "C": -0.4 * self.spin}

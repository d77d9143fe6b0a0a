"""A proportional line follower for the rover (colour sensor on S3, drive motors on B and C).

It follows the right-hand edge of the line: the sensor sees a mix of black and white there, about
50 % reflection. More white means it drifted right, so it steers left, and the other way round.
"""

TARGET = 50.0  # % reflection at the edge of the line
BASE = 0.38  # duty for both wheels when on the edge
GAIN = 0.009  # duty per % of error


class Controller:
    def reset(self, seed, info):
        self.target = TARGET

    def act(self, obs):
        error = obs["S3/reflection"] - self.target
        turn = GAIN * error
        return {"B": BASE - turn, "C": BASE + turn}

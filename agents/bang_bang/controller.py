"""A bang-bang line follower: full turn one way on black, the other way on white.

Simpler than the proportional follower and slower, because it zig-zags along the edge.
"""

THRESHOLD = 50  # % reflection between black and white


class Controller:
    def act(self, obs):
        if obs["S3/reflection"] < THRESHOLD:  # on the line: veer right, off it
            return {"B": 0.45, "C": 0.05}
        return {"B": 0.05, "C": 0.45}  # on white: veer left, back onto the edge

"""Built-in opponents: trusted, in-process policies for the other seats of a
head-to-head world when a single-agent Gymnasium env is wanted. They read the same observation
dict a controller gets and return the same commands; community controllers never run here."""

from __future__ import annotations


class Idle:
    """Does nothing: the motors coast."""

    def reset(self, seed: int) -> None:
        pass

    def act(self, obs: dict) -> dict:
        return {}


class Seeker:
    """Turns on the spot until the ultrasonic sensor sees something closer than 600 mm, then
    drives at it; backs off a white border seen by the downward colour sensor."""

    def __init__(self, left: str = "B", right: str = "C", eye: str = "S4", floor: str = "S3"):
        self.left, self.right, self.eye, self.floor = left, right, eye, floor

    def reset(self, seed: int) -> None:
        self.backing = 0

    def act(self, obs: dict) -> dict:
        if self.backing > 0:
            self.backing -= 1
            return {self.left: -0.6, self.right: -0.2}
        if obs.get(f"{self.floor}/reflection", 0.0) > 60.0:  # on the white border: back away
            self.backing = 40
            return {self.left: -0.6, self.right: -0.2}
        if obs.get(f"{self.eye}/distance", 2550.0) < 600.0:
            return {self.left: 1.0, self.right: 1.0}
        return {self.left: 0.35, self.right: -0.35}


OPPONENTS = {"idle": Idle, "seeker": Seeker}


def make(name: str):
    try:
        return OPPONENTS[name]()
    except KeyError:
        raise ValueError(f"unknown opponent {name!r}: use one of {', '.join(OPPONENTS)}") from None

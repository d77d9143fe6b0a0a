"""MicroPython's utime on the simulated brick: every clock is the brick's virtual time."""

from pybricks._runtime import Runtime


def _now_ms() -> float:
    return Runtime.current.time_ms if Runtime.current is not None else 0.0


def sleep(seconds):
    Runtime.current.wait_ms(float(seconds) * 1000.0)


def sleep_ms(ms):
    Runtime.current.wait_ms(float(ms))


def sleep_us(us):
    Runtime.current.wait_ms(float(us) / 1000.0)


def ticks_ms():
    return int(_now_ms())


def ticks_us():
    return int(_now_ms() * 1000)


def ticks_diff(new, old):
    return new - old


def ticks_add(ticks, delta):
    return ticks + delta


def time():
    """Seconds since the program started (the brick's clock starts with the run)."""
    return int(_now_ms() / 1000)

"""wait and StopWatch on the brick's virtual clock (pybricks.tools)."""

from pybricks._runtime import Runtime


def _rt() -> Runtime:
    if Runtime.current is None:
        raise RuntimeError("the brick is not running")
    return Runtime.current


def wait(time):
    """Pause the program for time (ms) of simulated time."""
    _rt().wait_ms(time)


class StopWatch:
    def __init__(self):
        self._start = _rt().time_ms
        self._paused_at = None
        self._offset = 0.0

    def time(self):
        """Elapsed time (int, ms)."""
        now = self._paused_at if self._paused_at is not None else _rt().time_ms
        return int(now - self._start - self._offset)

    def pause(self):
        if self._paused_at is None:
            self._paused_at = _rt().time_ms

    def resume(self):
        if self._paused_at is not None:
            self._offset += _rt().time_ms - self._paused_at
            self._paused_at = None

    def reset(self):
        self._start = _rt().time_ms
        self._offset = 0.0
        if self._paused_at is not None:
            self._paused_at = self._start


class DataLog:
    """Writes rows to the program's own temporary folder (as the brick writes to its SD card)."""

    def __init__(self, *headers, name="log", timestamp=True, extension="csv", append=False):
        self._f = open(f"{name}.{extension}", "a" if append else "w")  # noqa: SIM115
        if headers:
            self._f.write(",".join(map(str, headers)) + "\n")

    def log(self, *values):
        self._f.write(",".join(map(str, values)) + "\n")
        self._f.flush()

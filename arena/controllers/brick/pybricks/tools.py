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
    """Writes rows to a file in the program's own folder, as the brick does, and each row to
    the run's output ("[brick <t>s] datalog <file>: row"), where it comes back with the result."""

    def __init__(self, *headers, name="log", timestamp=True, extension="csv", append=False):
        self._name = f"{name}.{extension}"
        self._f = open(self._name, "a" if append else "w")  # noqa: SIM115
        if headers and not append:
            self._write(",".join(map(str, headers)))

    def _write(self, row):
        self._f.write(row + "\n")
        self._f.flush()
        _rt().event(f"datalog {self._name}: {row}")

    def log(self, *values):
        self._write(",".join(map(str, values)))

    def __repr__(self):
        return f"DataLog({self._name!r})"


def print(*args, sep=" ", end="\n", file=None, flush=False):  # noqa: A001 - pybricks.tools.print
    """pybricks v2.0's tools.print: the builtin print (the arena keeps the output)."""
    import builtins

    builtins.print(*args, sep=sep, end=end, file=file, flush=flush)

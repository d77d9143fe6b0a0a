"""The brick itself (pybricks.hubs.EV3Brick): buttons, light, speaker, screen, battery.

Buttons are pressed by the run's script (`arena run --press CENTER@0.5`, docs/brick.md). Sounds
take the time they take on the brick and the screen's drawing is recorded: both appear in the
run's output as "[brick <time>s] ..." lines.
"""

import os
import sys

from pybricks import _wav
from pybricks._runtime import Runtime
from pybricks.media._sound_lengths import SOUND_MS
from pybricks.media.ev3dev import Image

SPEECH_WPM = 175.0  # espeak's default speaking rate (words per minute), which the EV3 uses
SOUNDS_DIR = "/usr/share/sounds/ev3dev/"  # where the brick keeps ev3dev-media's sounds (SoundFile)
# The brick's own draw with its motors off (mA): ev3dev's battery current_now read on idling
# EV3s, 162.7 mA at 8.04 V (github.com/ev3dev/ev3dev issue 499) and 149.3 mA at 8.27 V
# (robolab.inf.tu-dresden.de/hardware/motors); their mean. docs/brick.md
IDLE_MA = 156.0


def _rt() -> Runtime:
    if Runtime.current is None:
        raise RuntimeError("the brick is not running")
    return Runtime.current


class _Buttons:
    def pressed(self):
        """The buttons held now (list of Button)."""
        return list(_rt().buttons())


class _Light:
    def on(self, color):
        _rt().event(f"light {getattr(color, 'name', color)}")

    def off(self):
        _rt().event("light off")


def note_ms(note: str, tempo: float) -> float:
    """How long one of play_notes' notes lasts: "C4/4" is a quarter, "/8." a dotted eighth."""
    _, _, rest = str(note).partition("/")
    dotted = rest.endswith(".")
    try:
        fraction = int(rest.rstrip("._") or "4")
    except ValueError:
        raise ValueError(f"bad note {note!r}: write it as NAME OCTAVE/FRACTION, e.g. C4/4") from None
    ms = 4.0 / fraction * 60000.0 / tempo
    return ms * 1.5 if dotted else ms


class _Speaker:
    def __init__(self):
        self._volume = 100

    def beep(self, frequency=500, duration=100):
        """Beep (Hz, ms); the program waits while it sounds."""
        rt = _rt()
        rt.event(f"beep {frequency} Hz {duration} ms")
        if duration > 0:
            rt.wait_ms(duration)

    def play_notes(self, notes, tempo=120):
        rt = _rt()
        notes = list(notes)
        ms = sum(note_ms(n, tempo) for n in notes)
        rt.event(f"notes {' '.join(map(str, notes))} tempo {tempo} ({ms:g} ms)")
        rt.wait_ms(ms)

    def say(self, text):
        """Speak text; takes as long as espeak's default rate would."""
        rt = _rt()
        ms = len(str(text).split()) * 60000.0 / SPEECH_WPM
        rt.event(f"say {text} ({ms:g} ms)")
        rt.wait_ms(ms)

    def play_file(self, file):
        """Play a WAV file; the program waits until it has played (pybricks v2.0 waits for aplay)."""
        rt = _rt()
        if not isinstance(file, str):
            raise TypeError(f"can't convert '{type(file).__name__}' object to str implicitly")
        ms = sound_ms(file)
        rt.event(f"play {file} ({f'{ms:.1f}'.rstrip('0').rstrip('.')} ms)")
        rt.wait_ms(ms)

    def set_volume(self, volume, which="_all_"):
        self._volume = max(0, min(100, int(volume)))

    def set_speech_options(self, language=None, voice=None, speed=None, pitch=None):
        pass


def _program_dir() -> str:
    """The brick program's folder: on the brick a program runs in its own folder, so relative
    paths start there. The program's code runs as __main__ with its path in __file__ (host.py)."""
    frame = sys._getframe(1)
    while frame is not None:
        g = frame.f_globals
        if g.get("__name__") == "__main__" and g.get("__file__"):
            return os.path.dirname(os.path.abspath(g["__file__"]))
        frame = frame.f_back
    return os.getcwd()


def sound_ms(path: str) -> float:
    """How long play_file(path) plays (ms): the brick's own sounds from their table; a file in the
    program's folder from its header; anything else is not on the simulated brick."""
    if path.startswith(SOUNDS_DIR) and path.endswith(".wav") and path[len(SOUNDS_DIR):-4] in SOUND_MS:
        return SOUND_MS[path[len(SOUNDS_DIR):-4]]
    folder = _program_dir()
    full = os.path.normpath(os.path.join(folder, path))
    if os.path.commonpath([folder, full]) != folder or not os.path.exists(full):
        raise _wav.failed(path, "No such file or directory (the simulated brick has the ev3dev sounds, "
                                "SoundFile.*, and the files in the program's own folder)")
    return _wav.file_ms(full, path)


class _Battery:
    def voltage(self):
        """Battery voltage (int, mV)."""
        rt = Runtime.current
        return int(rt.peek("battery/voltage", 9000) if rt else 9000)

    def current(self):
        """Battery current (int, mA): the brick's idle draw plus each motor's supply current
        (the arena's motor model, arena.kit.motors.Motor.state; docs/brick.md)."""
        rt = _rt()
        return int(round(IDLE_MA + sum(float(m.get("supply_ma", 0.0)) for m in rt.motors.values())))


class EV3Brick:
    def __init__(self):
        self.buttons = _Buttons()
        self.light = _Light()
        self.speaker = _Speaker()
        self.screen = Image("_screen_")
        self.battery = _Battery()

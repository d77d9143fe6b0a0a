"""The brick itself (pybricks.hubs.EV3Brick): buttons, light, speaker, screen, battery.

Nothing to press and no one to hear on the simulated brick: buttons report nothing pressed,
sounds and the screen write a line to the program's output, which the arena keeps with the
result.
"""

import sys

from pybricks._runtime import Runtime


class _Buttons:
    def pressed(self):
        return []


class _Light:
    def on(self, color):
        pass

    def off(self):
        pass


class _Speaker:
    def beep(self, frequency=500, duration=100):
        print(f"[beep {frequency} Hz {duration} ms]", file=sys.stderr)

    def play_notes(self, notes, tempo=120):
        print(f"[notes {' '.join(notes)}]", file=sys.stderr)

    def say(self, text):
        print(f"[say {text}]", file=sys.stderr)

    def play_file(self, file):
        print(f"[play {file}]", file=sys.stderr)

    def set_volume(self, volume, which="_all_"):
        pass

    def set_speech_options(self, language=None, voice=None, speed=None, pitch=None):
        pass


class _Screen:
    def clear(self):
        pass

    def print(self, *args, sep=" ", end="\n"):
        print("[screen]", *args, sep=sep, end=end, file=sys.stderr)

    def draw_text(self, x, y, text, text_color=None, background_color=None):
        print(f"[screen] {text}", file=sys.stderr)

    def set_font(self, font):
        pass

    def __getattr__(self, name):  # drawing primitives have nothing to show here
        return lambda *a, **k: None


class _Battery:
    def voltage(self):
        """Battery voltage (int, mV)."""
        rt = Runtime.current
        return int(rt.peek("battery/voltage", 9000) if rt else 9000)

    def current(self):
        return 200


class EV3Brick:
    def __init__(self):
        self.buttons = _Buttons()
        self.light = _Light()
        self.speaker = _Speaker()
        self.screen = _Screen()
        self.battery = _Battery()

#!/usr/bin/env pybricks-micropython
"""Mirrors: the pybricks v2.0 EV3Brick and media examples (speaker, screen, light:
https://pybricks.com/ev3-micropython/hubs.html and https://pybricks.com/ev3-micropython/media.html).
Robot: `rover` (no devices needed). World: line-follow.
Says hello, plays a tune, draws on the screen and shows an image.
"""

from pybricks.hubs import EV3Brick
from pybricks.media.ev3dev import Font, Image, ImageFile, SoundFile
from pybricks.parameters import Color
from pybricks.tools import StopWatch, wait

ev3 = EV3Brick()
watch = StopWatch()

ev3.speaker.set_volume(80)
ev3.speaker.set_speech_options(voice="f1")
ev3.speaker.say("Hello, I am an EV3")
ev3.speaker.play_file(SoundFile.HELLO)
ev3.speaker.beep(frequency=800, duration=200)
ev3.speaker.play_notes(["C4/4", "E4/4", "G4/4", "C5/2"], tempo=160)
print("sound_ms =", watch.time())

big = Font(size=24, bold=True)
ev3.screen.set_font(big)
ev3.screen.clear()
ev3.screen.draw_text(20, 10, "Kit Arena", text_color=Color.BLACK)
ev3.screen.draw_box(10, 40, 168, 100, r=5)
ev3.screen.draw_circle(89, 70, 20, fill=True)
ev3.screen.draw_line(0, 127, 177, 127, width=2)
wait(1000)
ev3.screen.load_image(ImageFile.THUMBS_UP)
eyes = Image(ImageFile.NEUTRAL)
ev3.screen.draw_image(0, 0, eyes)
ev3.light.on(Color.RED)
wait(500)
ev3.light.off()
ev3.screen.print("battery", ev3.battery.voltage(), "mV")
print("done_ms =", watch.time())

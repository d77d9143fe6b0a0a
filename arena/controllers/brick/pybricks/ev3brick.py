"""pybricks v1.0's brick module (`from pybricks import ev3brick as brick`): the same brick as
pybricks.hubs.EV3Brick under the v1.0 names."""

from pybricks.hubs import EV3Brick

_brick = EV3Brick()


class sound:  # noqa: N801 - v1.0's name
    @staticmethod
    def beep(frequency=500, duration=100, volume=30):
        _brick.speaker.beep(frequency, duration)

    @staticmethod
    def beeps(number):
        for _ in range(int(number)):
            _brick.speaker.beep(500, 100)

    @staticmethod
    def file(file_name, volume=100):
        _brick.speaker.play_file(file_name)


class display:  # noqa: N801 - v1.0's name
    @staticmethod
    def clear():
        _brick.screen.clear()

    @staticmethod
    def text(text, coordinate=None):
        if coordinate is None:
            _brick.screen.print(text)
        else:
            _brick.screen.draw_text(coordinate[0], coordinate[1], text)

    @staticmethod
    def image(file_name, alignment=None, coordinate=None, clear=True):
        _brick.screen.load_image(file_name)


def buttons():
    return _brick.buttons.pressed()


def light(color):
    if color is None:
        _brick.light.off()
    else:
        _brick.light.on(color)


battery = _brick.battery

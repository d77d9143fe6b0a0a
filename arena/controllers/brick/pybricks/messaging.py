"""pybricks.messaging: Bluetooth mailboxes between bricks. The simulator does not connect bricks
yet: making a connection raises OSError saying so (docs/brick.md); mailboxes exist so programs
load."""


def _refuse(what):
    raise OSError(f"{what}: Bluetooth messaging between bricks is not simulated; run each robot's program "
                  "on its own (docs/brick.md)")


class BluetoothMailboxServer:
    def wait_for_connection(self, count=1):
        _refuse("BluetoothMailboxServer.wait_for_connection")

    def close(self):
        pass


class BluetoothMailboxClient:
    def connect(self, brick):
        _refuse("BluetoothMailboxClient.connect")

    def close(self):
        pass


class Mailbox:
    def __init__(self, name, connection, encode=None, decode=None):
        self.name, self.connection = name, connection
        self._value = None

    def read(self):
        return self._value

    def send(self, value, brick=None):
        _refuse(f"Mailbox({self.name!r}).send")

    def wait(self):
        _refuse(f"Mailbox({self.name!r}).wait")

    def wait_new(self):
        _refuse(f"Mailbox({self.name!r}).wait_new")


class LogicMailbox(Mailbox):
    pass


class NumericMailbox(Mailbox):
    pass


class TextMailbox(Mailbox):
    pass

#!/usr/bin/env pybricks-micropython
"""Mirrors: the pybricks v2.0 messaging example, client side
(https://pybricks.com/ev3-micropython/messaging.html: "EV3 Client" program), with a numeric and a
logic mailbox added. Robot: `sumo` (player 1, brick "ev3dev-2"). World: sumo, with
messaging_server.py as player 0.
"""

from pybricks.messaging import BluetoothMailboxClient, LogicMailbox, NumericMailbox, TextMailbox
from pybricks.tools import wait

# This is the name of the remote EV3 or PC we are connecting to.
SERVER = "ev3dev"

client = BluetoothMailboxClient()
mbox = TextMailbox("greeting", client)
count = NumericMailbox("count", client)
ready = LogicMailbox("ready", client)

print("establishing connection...")
client.connect(SERVER)
print("connected!")

# In this program, the client sends the first message and then waits for the
# server to reply.
mbox.send("hello!")
count.send(3)
ready.send(True)
mbox.wait()
print(mbox.read())
wait(100)

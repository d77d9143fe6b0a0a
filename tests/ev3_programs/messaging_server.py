#!/usr/bin/env pybricks-micropython
"""Mirrors: the pybricks v2.0 messaging example, server side
(https://pybricks.com/ev3-micropython/messaging.html: "EV3 Server" program).
Robot: `sumo` (player 0 of the sumo world, so its brick is "ev3dev"). World: sumo, played
together with messaging_client.py. Waits for the client, then answers its greeting.
"""

from pybricks.hubs import EV3Brick
from pybricks.messaging import BluetoothMailboxServer, TextMailbox

ev3 = EV3Brick()
server = BluetoothMailboxServer()
mbox = TextMailbox("greeting", server)

# The server must be started before the client!
print("waiting for connection...")
server.wait_for_connection()
print("connected!")

# In this program, the server waits for the client to send the first message
# and then sends a reply.
mbox.wait()
print(mbox.read())
mbox.send("hello to you!")
ev3.speaker.beep()

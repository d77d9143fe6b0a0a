"""pybricks.media: images, sounds and fonts (the EV3's are in pybricks.media.ev3dev)."""

"""The kit: the parts catalogue, the motor and sensor models, and the motor test bench.

Numpy only, except the bench, which drives one motor in the physics layer to check it against
its data sheet."""

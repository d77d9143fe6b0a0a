"""Community controllers: the protocol they speak, the sandbox they run in, the host
process inside it, the simulated pybricks brick, and the runner that plays them in a match."""

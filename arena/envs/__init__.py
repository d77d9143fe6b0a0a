"""Learning interfaces: the Gymnasium env (`single`), the PettingZoo env (`parallel`), the
batched vector env (`vector`), built-in opponents and the env's pygame window."""

"""Worlds: the world file (`spec`), the scene built from it (`scene`), the printed mat
(`mat`), scoring (`scoring`) and top-down pictures (`draw`). A world places robots; robots know
nothing of worlds."""

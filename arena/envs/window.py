"""The pygame window: shows top-down frames; reads pictures only, never the physics."""

from __future__ import annotations

import os

import numpy as np


class Window:
    def __init__(self, width: int, height: int, title: str = "Kit Arena"):
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self.pg = pygame
        pygame.display.init()
        pygame.font.init()
        self.screen = pygame.display.set_mode((width, height + 24))
        pygame.display.set_caption(title)
        self.font = pygame.font.Font(None, 22)
        self.closed = False

    def show(self, frame: np.ndarray, status: str = "") -> bool:
        """Draw one frame; returns False once the user closed the window."""
        pg = self.pg
        for event in pg.event.get():
            if event.type == pg.QUIT:
                self.closed = True
        if self.closed:
            return False
        surf = pg.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
        self.screen.fill((30, 30, 30))
        self.screen.blit(surf, (0, 24))
        self.screen.blit(self.font.render(status, True, (230, 230, 230)), (6, 4))
        pg.display.flip()
        return True

    def close(self) -> None:
        self.pg.display.quit()

"""A pygame Surface to draw overlays, panels and plots on, without a window (numpy in and out)."""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402  (after the prompt switch)

INK = (235, 235, 235)
DIM = (150, 150, 160)
PANEL = (24, 26, 32)

_fonts: dict[tuple[int, bool], pygame.font.Font] = {}


def font(size: int, bold: bool = False) -> pygame.font.Font:
    if not pygame.font.get_init():
        pygame.font.init()
    key = (size, bold)
    if key not in _fonts:
        f = pygame.font.Font(None, size)
        f.set_bold(bold)
        _fonts[key] = f
    return _fonts[key]


class Canvas:
    """Drawing in pixels (x = column, y = row) on an RGB picture."""

    def __init__(self, width: int, height: int, fill=PANEL, surface: pygame.Surface | None = None):
        self.surf = surface if surface is not None else pygame.Surface((width, height))
        if surface is None:
            self.surf.fill(fill)
        self.w, self.h = self.surf.get_size()

    @classmethod
    def of(cls, img: np.ndarray) -> Canvas:
        return cls(0, 0, surface=pygame.surfarray.make_surface(np.ascontiguousarray(img[:, :, :3].transpose(1, 0, 2))))

    def array(self) -> np.ndarray:
        return np.ascontiguousarray(pygame.surfarray.array3d(self.surf).transpose(1, 0, 2))

    def image(self, img: np.ndarray, x: int, y: int) -> None:
        self.surf.blit(pygame.surfarray.make_surface(np.ascontiguousarray(img[:, :, :3].transpose(1, 0, 2))), (x, y))

    def text(self, s: str, x: float, y: float, size: int = 20, color=INK, anchor: str = "tl", bold: bool = False,
             box=None) -> tuple[int, int]:
        """anchor: "tl" top left, "tr" top right, "c" centre; box: a background colour (RGBA allowed)."""
        t = font(size, bold).render(s, True, color)
        w, h = t.get_size()
        if anchor == "c":
            x, y = x - w / 2, y - h / 2
        elif anchor == "tr":
            x = x - w
        if box is not None:
            self.rect(x - 4, y - 3, w + 8, h + 5, box)
        self.surf.blit(t, (int(x), int(y)))
        return w, h

    def rect(self, x: float, y: float, w: float, h: float, color, width: int = 0) -> None:
        if len(color) == 4 and width == 0:  # translucent fill
            s = pygame.Surface((max(int(w), 1), max(int(h), 1)), pygame.SRCALPHA)
            s.fill(color)
            self.surf.blit(s, (int(x), int(y)))
        else:
            pygame.draw.rect(self.surf, color[:3], pygame.Rect(int(x), int(y), int(w), int(h)), width)

    def lines(self, pts, color, width: int = 2) -> None:
        pts = [(float(a), float(b)) for a, b in pts]
        if len(pts) >= 2:
            pygame.draw.lines(self.surf, color, False, pts, width)

    def line(self, a, b, color, width: int = 1) -> None:
        pygame.draw.line(self.surf, color, a, b, width)

    def disc(self, x: float, y: float, r: float, color) -> None:
        pygame.draw.circle(self.surf, color, (int(x), int(y)), int(r))

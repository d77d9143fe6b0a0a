"""Top-down pictures with numpy only (no OpenGL): the mat, walls, paths' start, robots.

Used by the env's rgb_array render, the pygame viewer and `arena world show` (world_sheet: the
picture with a title and labels, which pygame draws).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from arena.kit.catalogue import catalogue
from arena.units import parse_color


def _fill_polygon(img: np.ndarray, poly_px: np.ndarray, color, alpha: float = 1.0) -> None:
    """Fill a convex polygon given in pixel coordinates (x = column, y = row)."""
    h, w = img.shape[:2]
    x0, y0 = np.floor(poly_px.min(axis=0)).astype(int)
    x1, y1 = np.ceil(poly_px.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1 + 1, w), min(y1 + 1, h)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1] + 0.5
    inside = np.ones(xx.shape, dtype=bool)
    n = len(poly_px)
    area = 0.0
    for i in range(n):
        ax, ay = poly_px[i]
        bx, by = poly_px[(i + 1) % n]
        area += ax * by - bx * ay
    sgn = 1.0 if area >= 0 else -1.0
    for i in range(n):
        ax, ay = poly_px[i]
        bx, by = poly_px[(i + 1) % n]
        inside &= sgn * ((bx - ax) * (yy - ay) - (by - ay) * (xx - ax)) >= 0
    region = img[y0:y1, x0:x1]
    c = np.asarray(color, dtype=np.float32)
    region[inside] = (region[inside] * (1 - alpha) + c * alpha).astype(img.dtype)


def _shade(color, f: float):
    return tuple(int(max(0, min(255, c * f))) for c in color)


class TopDown:
    """Renders a world from above at a fixed scale (m per pixel): the layout's mat and walls, then
    objects and robots per frame. `layout` defaults to the world's unrandomised layout."""

    def __init__(self, world, scale: float = 0.004, layout=None):
        self.world, self.scale = world, scale
        self.layout = layout or world.default_layout
        mat = world.mat_for(self.layout)
        step = max(1, int(round(scale / mat.res)))
        base = mat.image()[::step, ::step].copy()
        self.scale = mat.res * step
        self.w_m, self.h_m = mat.width, mat.height
        self.base = base
        for wall in self.layout.walls:
            self._wall(base, wall)
        self.static_objects = [p for p in self.layout.objects if p.spec.mass == 0]
        for p in self.static_objects:
            self.object(base, p.spec, p.x, p.y, p.heading)

    def to_px(self, x, y):
        return (np.asarray(x) + self.w_m / 2) / self.scale, (self.h_m / 2 - np.asarray(y)) / self.scale

    def _rect(self, img, cx, cy, yaw, length, width, color, alpha=1.0):
        c, s = math.cos(yaw), math.sin(yaw)
        corners = np.array([(length / 2, width / 2), (length / 2, -width / 2), (-length / 2, -width / 2),
                            (-length / 2, width / 2)])
        pts = np.column_stack([cx + corners[:, 0] * c - corners[:, 1] * s, cy + corners[:, 0] * s + corners[:, 1] * c])
        px, py = self.to_px(pts[:, 0], pts[:, 1])
        _fill_polygon(img, np.column_stack([px, py]), color, alpha)

    def _wall(self, img, wall):
        (x0, y0), (x1, y1) = np.array(wall.start) / 1000, np.array(wall.end) / 1000
        length = math.hypot(x1 - x0, y1 - y0) + wall.thickness / 1000
        self._rect(img, (x0 + x1) / 2, (y0 + y1) / 2, math.atan2(y1 - y0, x1 - x0), length, wall.thickness / 1000,
                   wall.color)

    def robot(self, img: np.ndarray, asm, x: float, y: float, yaw: float, highlight=(255, 140, 0)) -> None:
        """Draw every part's footprint of an assembled robot (arena.robot.assembly.Assembly), chassis
        parts first, then wheels and sensors."""
        cat = catalogue()
        c, s = math.cos(yaw), math.sin(yaw)
        order = {"structure": 0, "brick": 1, "motor": 2, "caster": 3, "wheel": 4, "bumper": 5, "sensor": 6}
        for pp in sorted(asm.poses.values(), key=lambda q: order.get(q.part.kind, 9)):
            part = cat[pp.part.part]
            px, py = pp.pos[0], pp.pos[1]
            wx, wy = x + px * c - py * s, y + px * s + py * c
            color = parse_color(pp.part.color or part.color)
            self._rect(img, wx, wy, yaw + math.atan2(2 * (pp.quat[3] * pp.quat[2]), 1 - 2 * pp.quat[2] ** 2),
                       part.size[0] / 1000, part.size[1] / 1000, color, 0.95)
        # a heading marker so the direction of travel is obvious
        hx, hy = self.to_px(x + 0.06 * c, y + 0.06 * s)
        cx, cy = self.to_px(x, y)
        for t in np.linspace(0, 1, 12):
            r, q = int(cy + (hy - cy) * t), int(cx + (hx - cx) * t)
            if 0 <= r < img.shape[0] and 0 <= q < img.shape[1]:
                img[max(r - 1, 0):r + 2, max(q - 1, 0):q + 2] = highlight

    def object(self, img: np.ndarray, spec, x: float, y: float, yaw: float) -> None:
        """An object's footprint with a darker rim so it stands out on a mat of the same colour."""
        sx, sy = spec.size[0] / 1000, spec.size[1] / 1000
        if spec.shape == "cylinder" and spec.axis == "x":
            sx, sy = spec.size[2] / 1000, spec.size[0] / 1000
        rim = 2 * self.scale
        if spec.shape == "cylinder" and spec.axis == "z":
            self._disc(img, x, y, sx / 2, _shade(spec.color, 0.55))
            self._disc(img, x, y, max(sx / 2 - rim, rim), spec.color)
        else:
            self._rect(img, x, y, yaw, sx, sy, _shade(spec.color, 0.55))
            self._rect(img, x, y, yaw, max(sx - 2 * rim, rim), max(sy - 2 * rim, rim), spec.color)

    def _disc(self, img, x, y, r, color, alpha=1.0):
        n = 24
        a = np.linspace(0, 2 * np.pi, n, endpoint=False)
        px, py = self.to_px(x + r * np.cos(a), y + r * np.sin(a))
        _fill_polygon(img, np.column_stack([px, py]), color, alpha)

    def outline(self, img: np.ndarray, zone, color, width_px: int = 2, dash: bool = False) -> None:
        """A zone's outline (zones without a colour are not on the mat; this makes them visible)."""
        cx, cy = zone.center[0] / 1000, zone.center[1] / 1000
        loops = []
        if zone.shape == "rect":
            w, h = zone.size[0] / 2000, zone.size[1] / 2000
            loops.append(np.array([(cx - w, cy - h), (cx + w, cy - h), (cx + w, cy + h), (cx - w, cy + h)]))
        else:
            for r in (zone.radius, zone.inner) if zone.shape == "ring" else (zone.radius,):
                a = np.linspace(0, 2 * np.pi, 96, endpoint=False)
                loops.append(np.column_stack([cx + r / 1000 * np.cos(a), cy + r / 1000 * np.sin(a)]))
        for loop in loops:
            pts = np.vstack([loop, loop[:1]])
            px, py = self.to_px(pts[:, 0], pts[:, 1])
            for i in range(len(pts) - 1):
                n = max(2, int(np.hypot(px[i + 1] - px[i], py[i + 1] - py[i])))
                for k, t in enumerate(np.linspace(0, 1, n)):
                    if dash and (k // 4) % 2:
                        continue
                    q, r = int(px[i] + (px[i + 1] - px[i]) * t), int(py[i] + (py[i + 1] - py[i]) * t)
                    img[max(r - width_px // 2, 0):max(r - width_px // 2 + width_px, 0),
                        max(q - width_px // 2, 0):max(q - width_px // 2 + width_px, 0)] = color

    def frame(self, robots_and_poses, objects=None) -> np.ndarray:
        """robots_and_poses: (Robot, pose with x, y, yaw); objects: ObjectState per layout object
        (default: where the layout puts them)."""
        img = self.base.copy()
        movable = [(k, p) for k, p in enumerate(self.layout.objects) if p.spec.mass > 0]
        for k, p in movable:
            if objects is not None and k < len(objects):
                o = objects[k]
                self.object(img, p.spec, o.x, o.y, o.yaw)
            else:
                self.object(img, p.spec, p.x, p.y, p.heading)
        for robot, pose in robots_and_poses:
            self.robot(img, robot.asm, pose.x, pose.y, pose.yaw)
        return img


# -- a world's picture: `arena world show` -----------------------------------------------------------
@dataclass
class WorldSheet:
    """A world drawn from above for one seed (a pygame Surface) and what it shows."""
    surface: object  # pygame.Surface
    objects: int
    walls: int
    zones: int

    @property
    def size(self) -> tuple[int, int]:
        return self.surface.get_width(), self.surface.get_height()

    def save(self, path) -> None:
        """Write the picture as a PNG (pygame's image module, no window)."""
        import pygame

        pygame.image.save(self.surface, str(path))


def world_sheet(spec, seed: int = 0, scale_mm: float = 2.0) -> WorldSheet:
    """Draw a world (a WorldSpec) from above for one seed: mat, walls, zones (outlined, with ids),
    objects and the start poses (the world's robot, with a heading marker), under a title line;
    scale_mm is millimetres per pixel."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from arena.content import resolve
    from arena.robot.assembly import assemble
    from arena.robot.spec import load_robot
    from arena.world.scene import World, layout_for_seed

    world = World(spec)
    layout = layout_for_seed(world, seed)
    td = TopDown(world, scale=scale_mm / 1000.0, layout=layout)
    asm = assemble(load_robot(resolve("robots", spec.robot)))
    img = td.frame([])
    for s in layout.starts[:spec.players]:
        td.robot(img, asm, s.x, s.y, s.heading)
    for z in spec.zones:
        td.outline(img, z, (255, 0, 255) if z.color is None else (40, 40, 40), dash=z.color is None)
    pygame.font.init()
    font = pygame.font.Font(None, 18)
    big = pygame.font.Font(None, 24)
    margin = 26
    surf = pygame.Surface((img.shape[1], img.shape[0] + margin))
    surf.fill((30, 30, 30))
    surf.blit(pygame.surfarray.make_surface(np.ascontiguousarray(img.transpose(1, 0, 2))), (0, margin))
    title = f"{spec.id}  seed {seed}  {spec.mat_size[0]:.0f} x {spec.mat_size[1]:.0f} mm  {spec.time_limit:g} s"
    surf.blit(big.render(title, True, (235, 235, 235)), (6, 5))

    def label(text, x, y, color=(20, 20, 20)):
        px, py = td.to_px(x, y)
        t = font.render(text, True, color, (255, 255, 255))
        t.set_alpha(220)
        surf.blit(t, (int(px) - t.get_width() // 2, int(py) + margin - t.get_height() // 2))

    for z in spec.zones:  # ids just inside the top edge, clear of what sits in the middle
        top = (z.size[1] / 2 if z.shape == "rect" else z.radius) - 9 * td.scale * 1000  # mm
        label(z.id, z.center[0] / 1000, (z.center[1] + top) / 1000, (140, 0, 140) if z.color is None else (20, 20, 20))
    for i, s in enumerate(layout.starts[:spec.players]):
        label(f"p{i}", s.x, s.y - 0.09, (200, 90, 0))
    return WorldSheet(surf, len(layout.objects), len(layout.walls), len(spec.zones))

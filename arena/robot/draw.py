"""Pictures of a robot build: top and side views with numpy, labels with pygame.font.

`robot_sheet(spec)` returns an RGB uint8 image: the top view (x forward to the right, the robot's
left up), the side view seen from the robot's right (x forward to the right, z up, the ground
line), every part in its colour with a dark outline, motor and sensor ports labelled, arms also
drawn faintly at their limits, a 5 cm scale bar and a title with the mass and size.
`parts_list(spec)` gives the bill of materials. Only pygame.font is used (no window).
"""

from __future__ import annotations

import math
import os
from collections import Counter

import numpy as np

from arena.kit.catalogue import catalogue
from arena.robot.assembly import assemble, motor_axle, size_mm
from arena.robot.spec import RobotSpec
from arena.sim import matrix, quat_from_rpy
from arena.units import deg, parse_color

BG = (250, 250, 246)
GRID = (232, 232, 226)
INK = (40, 40, 48)
OUTLINE = (30, 30, 36)
MARGIN = 36  # px around each view


# -- rasterising -------------------------------------------------------------------------------------
def _convex_hull(pts: np.ndarray) -> np.ndarray:
    pts = sorted({(round(float(x), 4), round(float(y), 4)) for x, y in pts})
    if len(pts) <= 2:
        return np.array(pts)

    def half(seq):
        out = []
        for p in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(reversed(pts))
    return np.array(lower[:-1] + upper[:-1])


def _poly_mask(shape, poly: np.ndarray, inset: float = 0.0):
    """Pixels inside a convex polygon (pixel coords, x = column), at least `inset` px from its edges."""
    h, w = shape
    x0, y0 = np.floor(poly.min(axis=0)).astype(int)
    x1, y1 = np.ceil(poly.max(axis=0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1 + 1, w), min(y1 + 1, h)
    if x0 >= x1 or y0 >= y1 or len(poly) < 3:
        return None
    yy, xx = np.mgrid[y0:y1, x0:x1] + 0.5
    area = sum(poly[i][0] * poly[(i + 1) % len(poly)][1] - poly[(i + 1) % len(poly)][0] * poly[i][1]
               for i in range(len(poly)))
    sgn = 1.0 if area >= 0 else -1.0
    inside = np.ones(xx.shape, dtype=bool)
    for i in range(len(poly)):
        (ax, ay), (bx, by) = poly[i], poly[(i + 1) % len(poly)]
        n = math.hypot(bx - ax, by - ay)
        if n < 1e-9:
            continue
        inside &= sgn * ((bx - ax) * (yy - ay) - (by - ay) * (xx - ax)) / n >= inset
    return (slice(y0, y1), slice(x0, x1)), inside


def _disc_mask(shape, cx, cy, r, inset=0.0):
    h, w = shape
    x0, y0, x1, y1 = max(int(cx - r) - 1, 0), max(int(cy - r) - 1, 0), min(int(cx + r) + 2, w), min(int(cy + r) + 2, h)
    if x0 >= x1 or y0 >= y1:
        return None
    yy, xx = np.mgrid[y0:y1, x0:x1] + 0.5
    return (slice(y0, y1), slice(x0, x1)), (xx - cx) ** 2 + (yy - cy) ** 2 <= (r - inset) ** 2


def _paint(img, m, color, alpha=1.0):
    if m is None:
        return
    sl, inside = m
    region = img[sl]
    c = np.asarray(color, dtype=np.float32)
    region[inside] = (region[inside] * (1 - alpha) + c * alpha).astype(np.uint8)


def _shade(color, k):
    return tuple(int(max(0, min(255, c * k))) for c in color)


# -- text --------------------------------------------------------------------------------------------
class _Text:
    def __init__(self):
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame.font

        pygame.font.init()
        self.pg = pygame
        self.fonts = {}

    def font(self, size, bold=False):
        key = (size, bold)
        if key not in self.fonts:
            f = self.pg.font.Font(None, size)
            f.set_bold(bold)
            self.fonts[key] = f
        return self.fonts[key]

    def draw(self, img, text, x, y, size=18, color=INK, anchor="tl", bold=False, box=None):
        """Draw text at (x, y) px; anchor "tl" (top left) or "c" (centre); box: background colour."""
        surf = self.font(size, bold).render(text, True, (255, 255, 255), (0, 0, 0))
        a = self.pg.surfarray.array3d(surf)[:, :, 0].T.astype(np.float32) / 255.0  # coverage, rows x cols
        th, tw = a.shape
        if anchor == "c":
            x, y = x - tw / 2, y - th / 2
        x, y = int(round(x)), int(round(y))
        if box is not None:
            pad = 3
            y0, y1, x0, x1 = max(y - pad + 1, 0), min(y + th + pad - 2, img.shape[0]), max(x - pad, 0), min(x + tw + pad, img.shape[1])
            img[y0:y1, x0:x1] = box
            img[y0:y1, [x0, x1 - 1]] = _shade(box, 0.55)
            img[[y0, y1 - 1], x0:x1] = _shade(box, 0.55)
        h, w = img.shape[:2]
        ys, xs = slice(max(y, 0), min(y + th, h)), slice(max(x, 0), min(x + tw, w))
        sub = a[ys.start - y:ys.stop - y, xs.start - x:xs.stop - x][..., None]
        region = img[ys, xs].astype(np.float32)
        img[ys, xs] = (region * (1 - sub) + np.asarray(color, np.float32) * sub).astype(np.uint8)
        return tw, th


# -- views -------------------------------------------------------------------------------------------
def _part_solids(spec: RobotSpec, angles: dict[str, float] | None = None):
    """Each part as solids in the robot frame (mm): ("box", corners 8x3) or ("disc", centre, radius,
    axis) for wheels and casters. `angles` turns arms about their hinges (rad)."""
    cat = catalogue()
    out = {}
    for p in spec.parts:
        part = cat[p.part]
        r = matrix(quat_from_rpy(tuple(deg(a) for a in p.rpy)))
        pos = np.array(p.pos, dtype=float)
        if p.kind == "arm" and angles and p.id in angles:
            pivot = np.array(p.hinge) if p.hinge is not None else motor_axle(spec, p.motor) * 1000.0
            turn = _axis_angle(np.array(p.axis), angles[p.id])
            pos, r = pivot + turn @ (pos - pivot), turn @ r
        if p.kind == "wheel":
            out[p.id] = [("wheel", pos, part.size[0] / 2, part.size[1])]
        elif p.kind == "caster":
            out[p.id] = [("ball", pos, part.size[0] / 2)]
        else:
            solids = []
            for c, s in part.boxes:
                half = np.array(s) / 2
                corners = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * half
                solids.append(("box", pos + (r @ (np.array(c) + corners).T).T))
            out[p.id] = solids
    return out


def _axis_angle(axis, a):
    x, y, z = axis / np.linalg.norm(axis)
    c, s, t = math.cos(a), math.sin(a), 1 - math.cos(a)
    return np.array([[t * x * x + c, t * x * y - s * z, t * x * z + s * y],
                     [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
                     [t * x * z - s * y, t * y * z + s * x, t * z * z + c]])


class _View:
    """A 2D projection: u, v are two robot axes (0 x, 1 y, 2 z); v grows up the image."""

    def __init__(self, u, v, lo, hi, scale, ox, oy):
        self.u, self.v, self.lo, self.hi, self.s, self.ox, self.oy = u, v, lo, hi, scale, ox, oy
        self.w = int(math.ceil((hi[u] - lo[u]) * scale))
        self.h = int(math.ceil((hi[v] - lo[v]) * scale))

    def px(self, p):
        p = np.atleast_2d(p)
        return np.column_stack([self.ox + (p[:, self.u] - self.lo[self.u]) * self.s,
                                self.oy + (self.hi[self.v] - p[:, self.v]) * self.s])

    def solid(self, img, solid, color, alpha=1.0, outline=True):
        kind = solid[0]
        if kind == "box" or (kind == "wheel" and self.v == 1):  # wheels seen from above: a tyre's rectangle
            if kind == "wheel":
                _, c, r, w = solid
                corners = np.array([[sx * r, sy * w / 2, sz * r] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) + c
            else:
                corners = solid[1]
            poly = _convex_hull(self.px(corners))
            if outline:
                _paint(img, _poly_mask(img.shape[:2], poly), OUTLINE, alpha)
                _paint(img, _poly_mask(img.shape[:2], poly, 1.5), color, alpha)
            else:
                _paint(img, _poly_mask(img.shape[:2], poly), color, alpha)
        else:  # a wheel from the side, or a ball
            c, r = solid[1], solid[2]
            (cx, cy), = self.px(c)
            rr = r * self.s
            if outline:
                _paint(img, _disc_mask(img.shape[:2], cx, cy, rr), OUTLINE, alpha)
            _paint(img, _disc_mask(img.shape[:2], cx, cy, rr, 1.5 if outline else 0.0), color, alpha)
            if kind == "wheel":  # hub
                _paint(img, _disc_mask(img.shape[:2], cx, cy, rr * 0.55), _shade(color, 3.5), alpha)
                _paint(img, _disc_mask(img.shape[:2], cx, cy, rr * 0.12), OUTLINE, alpha)

    def grid(self, img, step=8.0):
        for axis, is_u in ((self.u, True), (self.v, False)):
            k0 = math.ceil(self.lo[axis] / step)
            k1 = math.floor(self.hi[axis] / step)
            for k in range(k0, k1 + 1):
                val = k * step
                strong = abs(val) < 1e-9
                col = (205, 205, 198) if strong else GRID
                if is_u:
                    x = int(round(self.ox + (val - self.lo[axis]) * self.s))
                    img[self.oy:self.oy + self.h, max(x, 0):x + 1] = col
                else:
                    y = int(round(self.oy + (self.hi[axis] - val) * self.s))
                    img[max(y, 0):y + 1, self.ox:self.ox + self.w] = col


def robot_sheet(spec: RobotSpec, max_px: int = 560) -> np.ndarray:
    """Top and side views of a robot, labelled (RGB uint8)."""
    cat = catalogue()
    asm = assemble(spec)
    solids = _part_solids(spec)
    arm_ghosts = {}
    for p in spec.by_kind("arm"):
        for lim in p.limits:
            if abs(lim) > 1e-9:
                arm_ghosts.setdefault(p.id, []).extend(_part_solids(spec, {p.id: math.radians(lim)})[p.id])
    pts = []
    for group in (*solids.values(), *arm_ghosts.values()):
        for s in group:
            if s[0] == "box":
                pts.extend(s[1])
            else:
                r = s[2]
                pts.extend([s[1] - r, s[1] + r])
    pts = np.array(pts)
    lo, hi = pts.min(axis=0) - 4.0, pts.max(axis=0) + 4.0
    lo[2] = min(lo[2], -4.0)
    scale = min(3.0, max_px / float(max(hi - lo)))
    text = _Text()
    title_h = 64
    top = _View(0, 1, lo, hi, scale, MARGIN, title_h + MARGIN)
    side = _View(0, 2, lo, hi, scale, top.ox + top.w + 2 * MARGIN, title_h + MARGIN)
    width = side.ox + side.w + MARGIN
    height = title_h + MARGIN + max(top.h, side.h) + MARGIN + 40
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[:] = BG
    for v in (top, side):
        img[v.oy:v.oy + v.h, v.ox:v.ox + v.w] = (255, 255, 255)
        v.grid(img)
    # the ground in the side view
    gy = int(round(side.oy + hi[2] * side.s))
    img[gy:min(gy + 3, side.oy + side.h), side.ox:side.ox + side.w] = (150, 130, 100)

    def color_of(p):
        return parse_color(p.color or cat[p.part].color)

    # top: low parts first; side (seen from the right, -y): far (left, +y) parts first
    def zmax(pid):
        return max((s[1][:, 2].max() if s[0] == "box" else s[1][2] + s[2]) for s in solids[pid])

    def ymean(pid):
        return float(np.mean([(s[1][:, 1].mean() if s[0] == "box" else s[1][1]) for s in solids[pid]]))

    for view, order in ((top, sorted(solids, key=zmax)), (side, sorted(solids, key=ymean, reverse=True))):
        for pid in arm_ghosts:
            for s in arm_ghosts[pid]:
                view.solid(img, s, color_of(spec.part(pid)), alpha=0.25, outline=False)
        for pid in order:
            for s in solids[pid]:
                view.solid(img, s, color_of(spec.part(pid)))
    # hinges and the forward arrow
    for p in spec.by_kind("arm"):
        pivot = np.array(p.hinge) if p.hinge is not None else motor_axle(spec, p.motor) * 1000.0
        for view in (top, side):
            (cx, cy), = view.px(pivot)
            _paint(img, _disc_mask(img.shape[:2], cx, cy, 4.5), OUTLINE)
            _paint(img, _disc_mask(img.shape[:2], cx, cy, 2.5), (255, 255, 255))
    # labels: ports on motors and sensors, "T" on bumpers' sensors' partners, ids of arms
    for p in spec.parts:
        label = p.port if p.port else (p.id if p.kind == "arm" else None)
        if not label:
            continue
        centre = np.mean([s[1].mean(axis=0) if s[0] == "box" else s[1] for s in solids[p.id]], axis=0)
        box = (255, 236, 140) if p.kind == "motor" else (190, 225, 255) if p.kind == "sensor" else (255, 210, 150)
        for view in (top, side):
            (cx, cy), = view.px(centre)
            text.draw(img, label, cx, cy, size=20, anchor="c", bold=True, box=box)
    # captions, title, scale bar
    mass = asm.mass
    sx, sy, sz = size_mm(asm)
    text.draw(img, f"{spec.name}", MARGIN, 12, size=34, bold=True)
    text.draw(img, f"{mass * 1000:.0f} g   {sx:.0f} x {sy:.0f} x {sz:.0f} mm   {len(spec.parts)} parts"
              + (f"   extends {os.path.basename(spec.extends[0])}" if spec.extends else ""), MARGIN, 42, size=20,
              color=(90, 90, 100))
    text.draw(img, "top  (forward ->, robot's left up)", top.ox, top.oy - 20, size=18, color=(90, 90, 100))
    text.draw(img, "side  (seen from the right, forward ->)", side.ox, side.oy - 20, size=18, color=(90, 90, 100))
    bar = 50.0 * scale
    y = top.oy + max(top.h, side.h) + 22
    img[y:y + 3, MARGIN:MARGIN + int(bar)] = INK
    img[y - 5:y + 8, [MARGIN, MARGIN + int(bar) - 1]] = INK
    text.draw(img, "50 mm   (grid: 1 stud = 8 mm; yellow: motor ports, blue: sensor ports)", MARGIN + bar + 10, y - 6,
              size=18, color=(90, 90, 100))
    return img


def parts_list(spec: RobotSpec) -> list[tuple[str, str, int, float]]:
    """(catalogue id, kind, count, total mass kg) per catalogue part, in catalogue order."""
    cat = catalogue()
    counts = Counter(p.part for p in spec.parts)
    return [(cid, cat[cid].kind, n, n * cat[cid].mass) for cid, n in
            sorted(counts.items(), key=lambda kv: list(cat).index(kv[0]))]


def write_png(img: np.ndarray, path) -> None:
    """Save an RGB image as PNG (pygame's image module, no window)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    surf = pygame.surfarray.make_surface(np.ascontiguousarray(img.transpose(1, 0, 2)))
    pygame.image.save(surf, str(path))

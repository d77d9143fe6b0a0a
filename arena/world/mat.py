"""The mat (numpy only): a printed image the robot drives on, and how sensors see it.

Coordinates: metres, origin at the mat centre, x right, y up (the world's x/y). Pixel row 0 is the
top edge (y = +height/2), so the array is also the top-down picture.
"""

from __future__ import annotations

import math

import numpy as np

# The colour sensor's spot: a Gaussian of this sigma (m) is what it averages over at its nominal
# height (the EV3 colour sensor's lit spot is about 1 cm across at 1 cm).
SPOT_SIGMA = 0.003
# The most pixels a mat may have (docs/worlds.md): drawing and blurring it takes about 32 bytes a
# pixel, so this bounds a mat at about 130 MB; world files are checked against it when loaded.
MAX_MAT_PIXELS = 4_000_000


def catmull_rom(points: np.ndarray, closed: bool, spacing: float) -> np.ndarray:
    """A smooth curve through the control points, resampled every `spacing` (same units)."""
    p = np.asarray(points, dtype=float)
    if closed:
        ext = np.vstack([p[-1], p, p[0], p[1]])
    else:
        ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    segs = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        n = max(2, int(math.ceil(np.linalg.norm(p2 - p1) / spacing * 2)))
        t = np.linspace(0, 1, n, endpoint=False)[:, None]
        segs.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                           + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3))
    dense = np.vstack(segs + ([p[:1]] if closed else [p[-1:]]))
    return resample(dense, spacing)


def resample(poly: np.ndarray, spacing: float) -> np.ndarray:
    """Points evenly spaced along a polyline (keeps both ends)."""
    d = np.r_[0, np.cumsum(np.linalg.norm(np.diff(poly, axis=0), axis=1))]
    n = max(2, int(round(d[-1] / spacing)) + 1)
    s = np.linspace(0, d[-1], n)
    return np.column_stack([np.interp(s, d, poly[:, 0]), np.interp(s, d, poly[:, 1])])


class Mat:
    def __init__(self, width: float, height: float, resolution: float, background=(250, 250, 250)):
        """width, height, resolution in m."""
        self.width, self.height, self.res = width, height, resolution
        # counted in floats before the C ints of the compiled build could overflow
        fx, fy = width / resolution, height / resolution
        if not (0.5 <= fx < 1e12 and 0.5 <= fy < 1e12 and float(round(fx)) * float(round(fy)) <= MAX_MAT_PIXELS):
            raise ValueError(f"a mat of {fx:g} x {fy:g} pixels is outside 1-{MAX_MAT_PIXELS:,} pixels")
        self.nx, self.ny = int(round(fx)), int(round(fy))
        self.rgb = np.empty((self.ny, self.nx, 3), dtype=np.float32)
        self.rgb[:] = np.asarray(background, dtype=np.float32) / 255.0
        self._seen: np.ndarray | None = None

    # -- painting ----------------------------------------------------------------------------------
    def _px(self, x, y):
        return (np.asarray(x) + self.width / 2) / self.res - 0.5, (self.height / 2 - np.asarray(y)) / self.res - 0.5

    def _blend(self, cover: np.ndarray, rows: slice, cols: slice, color) -> None:
        c = np.asarray(color, dtype=np.float32) / 255.0
        region = self.rgb[rows, cols]
        region += cover[..., None] * (c - region)
        self._seen = None

    def paint_image(self, rgb: np.ndarray) -> None:
        """Print a picture (RGB uint8, row 0 = top edge) over the whole mat, resampled to the mat's
        resolution (each mat pixel takes the picture pixel under its centre)."""
        h, w = rgb.shape[:2]
        rows = ((np.arange(self.ny) + 0.5) * h / self.ny).astype(int).clip(0, h - 1)
        cols = ((np.arange(self.nx) + 0.5) * w / self.nx).astype(int).clip(0, w - 1)
        self.rgb[:] = rgb[rows][:, cols].astype(np.float32) / 255.0
        self._seen = None

    def fill_rect(self, x0, y0, x1, y1, color) -> None:
        c0, r0 = self._px(min(x0, x1), max(y0, y1))
        c1, r1 = self._px(max(x0, x1), min(y0, y1))
        cols = np.arange(self.nx)
        rows = np.arange(self.ny)
        cx = np.clip(np.minimum(cols + 0.5, c1 + 0.5) - np.maximum(cols - 0.5, c0 - 0.5), 0, 1)
        cy = np.clip(np.minimum(rows + 0.5, r1 + 0.5) - np.maximum(rows - 0.5, r0 - 0.5), 0, 1)
        self._blend(np.outer(cy, cx).astype(np.float32), slice(None), slice(None), color)

    def fill_circle(self, x, y, r, color, inner: float = 0.0) -> None:
        """A disc (or a ring when inner > 0) with anti-aliased edges."""
        cx, cy = self._px(x, y)
        rp, ip = r / self.res, inner / self.res
        r0, r1 = max(0, int(cy - rp - 2)), min(self.ny, int(cy + rp + 3))
        c0, c1 = max(0, int(cx - rp - 2)), min(self.nx, int(cx + rp + 3))
        if r0 >= r1 or c0 >= c1:
            return
        yy, xx = np.mgrid[r0:r1, c0:c1]
        d = np.hypot(xx - cx, yy - cy)
        cover = np.clip(rp + 0.5 - d, 0, 1)
        if inner > 0:
            cover = np.minimum(cover, np.clip(d - ip + 0.5, 0, 1))
        self._blend(cover.astype(np.float32), slice(r0, r1), slice(c0, c1), color)

    def stroke(self, poly: np.ndarray, width: float, color) -> None:
        """A line of the given width along a polyline (m), with anti-aliased edges."""
        dist = np.full((self.ny, self.nx), np.inf, dtype=np.float32)
        px, py = self._px(poly[:, 0], poly[:, 1])
        half = width / 2 / self.res
        for i in range(len(poly) - 1):
            ax, ay, bx, by = px[i], py[i], px[i + 1], py[i + 1]
            c0 = max(0, int(min(ax, bx) - half - 2))
            c1 = min(self.nx, int(max(ax, bx) + half + 3))
            r0 = max(0, int(min(ay, by) - half - 2))
            r1 = min(self.ny, int(max(ay, by) + half + 3))
            if c0 >= c1 or r0 >= r1:
                continue
            yy, xx = np.mgrid[r0:r1, c0:c1]
            dx, dy = bx - ax, by - ay
            L2 = dx * dx + dy * dy
            t = np.clip(((xx - ax) * dx + (yy - ay) * dy) / L2, 0, 1) if L2 > 0 else 0.0
            d = np.hypot(xx - ax - t * dx, yy - ay - t * dy)
            np.minimum(dist[r0:r1, c0:c1], d, out=dist[r0:r1, c0:c1])
        cover = np.clip(half + 0.5 - dist, 0, 1)
        self._blend(cover, slice(None), slice(None), color)

    # -- sensing -----------------------------------------------------------------------------------
    def _seen_maps(self) -> np.ndarray:
        """The mat as the colour sensor sees it: RGB blurred over the spot, plus reflectance."""
        if self._seen is None:
            sigma = SPOT_SIGMA / self.res
            k = int(math.ceil(3 * sigma))
            w = np.exp(-0.5 * (np.arange(-k, k + 1) / max(sigma, 1e-6)) ** 2)
            w /= w.sum()
            img = self.rgb
            for axis in (0, 1):
                pad = [(0, 0)] * 3
                pad[axis] = (k, k)
                p = np.pad(img, pad, mode="edge")
                out = np.zeros_like(img)
                n = img.shape[axis]
                for j, wj in enumerate(w):
                    out += wj * (p[j:j + n] if axis == 0 else p[:, j:j + n])
                img = out
            # reflectance: luminance of the blurred colour (0..1)
            lum = img @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
            self._seen = self._view = np.ascontiguousarray(np.dstack([img, lum]), dtype=np.float32)
        return self._seen

    def sample(self, x: float, y: float) -> tuple[float, float, float, float]:
        """(r, g, b, reflectance) in 0..1 seen by a downward colour sensor over (x, y), bilinear.
        Off the mat the floor is dark grey. Plain floats: this runs every control step."""
        if self._seen is None:
            self._seen_maps()
        seen = self._view  # the compiled build reads it as a typed view, element by element
        fx = (x + self.width / 2) / self.res - 0.5
        fy = (self.height / 2 - y) / self.res - 0.5
        if not (0 <= fx < self.nx - 1 and 0 <= fy < self.ny - 1):
            return (0.2, 0.2, 0.2, 0.2)
        i, j = int(fy), int(fx)
        ty, tx = fy - i, fx - j
        wa, wb, wc, wd = (1 - ty) * (1 - tx), (1 - ty) * tx, ty * (1 - tx), ty * tx
        out = [0.0, 0.0, 0.0, 0.0]
        for k in range(4):
            out[k] = (wa * float(seen[i, j, k]) + wb * float(seen[i, j + 1, k])
                      + wc * float(seen[i + 1, j, k]) + wd * float(seen[i + 1, j + 1, k]))
        return (out[0], out[1], out[2], out[3])

    def image(self) -> np.ndarray:
        """The mat as an RGB uint8 picture (row 0 = top edge)."""
        return (np.clip(self.rgb, 0, 1) * 255 + 0.5).astype(np.uint8)

"""Where a build's parts are and what they touch: boxes, overlaps and attachment.

Every part is one or more oriented boxes in the robot frame, mm (its catalogue size or collision
boxes; a wheel is the box around its tyre, a caster the cube around its ball). The checks over
pairs of parts are not quadratic in practice: a sweep over the boxes sorted by their lowest x
(a broad phase on axis-aligned bounds) keeps only pairs whose bounds meet, and the separating-axis
test then runs on those pairs at once, in numpy, a chunk at a time. A build whose parts are all
piled in one spot still costs one test per pair, which MAX_PARTS (arena.robot.spec) bounds.

Attachment: two parts are joined when their boxes come within ATTACH_GAP_MM of each other (the
beams, pins and brackets that hold a sensor or a caster are not modelled, so a small gap is
normal; a part floating 270 mm above the brick is not). A
part must be joined, through a chain of joined parts, to the brick; a wheel or arm must also be
joined to the motor it names, and a bumper to the touch sensor it names (what it claims to be
mounted on).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from arena.errors import SpecError
from arena.kit.catalogue import catalogue
from arena.sim import matrix, quat_from_rpy
from arena.units import deg

if TYPE_CHECKING:
    from arena.robot.spec import RobotSpec

ATTACH_GAP_MM = 16.0  # mm (two studs): parts this close count as joined
_CHUNK = 50_000  # box pairs tested at once


def part_boxes(spec: RobotSpec) -> dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Every part's boxes in the robot frame, mm: [(centre, rotation 3x3, half sizes)]."""
    cat = catalogue()
    out = {}
    for p in spec.parts:
        part = cat[p.part]
        r = matrix(quat_from_rpy(tuple(deg(a) for a in p.rpy)))
        pos = np.array(p.pos)
        if part.kind in ("wheel", "caster"):
            boxes = [(np.zeros(3), np.array(part.size))]
        else:
            boxes = [(np.array(c), np.array(s)) for c, s in part.boxes]
        out[p.id] = [(pos + r @ c, r, s / 2) for c, s in boxes]
    return out


def box_penetration(a, b) -> float:
    """Depth (mm) two oriented boxes interpenetrate: the least overlap over the separating axes
    (<= 0 when they are apart or just touch)."""
    ca, ra, ha = a
    cb, rb, hb = b
    return float(_depths(ca[None], ra[None], ha[None], cb[None], rb[None], hb[None])[0])


def _depths(ca, ra, ha, cb, rb, hb) -> np.ndarray:
    """Separating-axis test for N box pairs at once: the least overlap over the 15 axes (mm).
    Positive: they interpenetrate by that much; negative: some axis separates them by at least
    that much."""
    out = np.empty(len(ca))
    same = np.all(ra == rb, axis=(1, 2))  # the usual case: parts built square to each other
    if same.any():  # then the box's own three axes are all the test needs
        local = np.abs(np.matmul((cb[same] - ca[same])[:, None, :], ra[same])[:, 0, :])
        out[same] = (ha[same] + hb[same] - local).min(axis=1)
    rest = ~same
    if rest.any():
        ca, ra, ha, cb, rb, hb = ca[rest], ra[rest], ha[rest], cb[rest], rb[rest], hb[rest]
        n = len(ca)
        cross = np.cross(ra.transpose(0, 2, 1)[:, :, None, :], rb.transpose(0, 2, 1)[:, None, :, :]).reshape(n, 9, 3)
        norm = np.linalg.norm(cross, axis=2)
        ok = norm > 1e-6
        cross = np.where(ok[..., None], cross / np.where(ok, norm, 1.0)[..., None], 0.0)
        axes = np.concatenate([ra.transpose(0, 2, 1), rb.transpose(0, 2, 1), cross], axis=1)  # (n, 15, 3)
        pa = (np.abs(np.matmul(axes, ra)) * ha[:, None, :]).sum(axis=2)
        pb = (np.abs(np.matmul(axes, rb)) * hb[:, None, :]).sum(axis=2)
        dist = np.abs(np.matmul(axes, (cb - ca)[:, :, None])[:, :, 0])
        depth = pa + pb - dist
        depth[:, 6:][~ok] = np.inf  # parallel edges give no axis
        out[rest] = depth.min(axis=1)
    return out


class Boxes:
    """Every box of a build as arrays: owner part index, centre, rotation, half size, bounds."""

    def __init__(self, spec: RobotSpec):
        per = part_boxes(spec)
        self.ids = [p.id for p in spec.parts]
        owner, c, r, h = [], [], [], []
        for k, pid in enumerate(self.ids):
            for bc, br, bh in per[pid]:
                owner.append(k)
                c.append(bc)
                r.append(br)
                h.append(bh)
        self.owner = np.array(owner, dtype=np.int64)
        self.c = np.array(c, dtype=float).reshape(-1, 3)
        self.r = np.array(r, dtype=float).reshape(-1, 3, 3)
        self.h = np.array(h, dtype=float).reshape(-1, 3)
        ext = np.abs(self.r) @ self.h[..., None] if len(self.h) else np.zeros((0, 3, 1))
        self.lo, self.hi = self.c - ext[..., 0], self.c + ext[..., 0]
        self._pairs: dict[float, tuple] = {}

    def candidates(self, margin: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Box index pairs (i, j) of different parts whose bounds, grown by margin, meet."""
        order = np.argsort(self.lo[:, 0], kind="stable")
        lo, hi = self.lo[order], self.hi[order]
        end = np.searchsorted(lo[:, 0], hi[:, 0] + margin, side="right")
        start = np.arange(len(order)) + 1
        counts = np.maximum(end - start, 0)
        k = 0
        while k < len(order):  # a run of sorted boxes whose pairs fit in one chunk
            total, m = 0, k
            while m < len(order) and (total == 0 or total + counts[m] <= _CHUNK):
                total += int(counts[m])
                m += 1
            if total:
                ii = np.repeat(np.arange(k, m), counts[k:m])
                offs = np.arange(total) - np.repeat(np.cumsum(counts[k:m]) - counts[k:m], counts[k:m])
                jj = ii + 1 + offs
                meet = np.all((lo[jj, 1:] <= hi[ii, 1:] + margin) & (lo[ii, 1:] <= hi[jj, 1:] + margin), axis=1)
                a, b = order[ii[meet]], order[jj[meet]]
                keep = self.owner[a] != self.owner[b]
                for s in range(0, int(keep.sum()), _CHUNK):
                    yield a[keep][s:s + _CHUNK], b[keep][s:s + _CHUNK]
            k = m

    def part_pairs(self, margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(part a, part b, depth) for every pair of parts whose boxes come within margin of
        each other (a < b in build order; depth: the deepest of their box pairs, mm)."""
        for m, found in self._pairs.items():  # a wider search already done holds the answer
            if m >= margin:
                keep = found[2] >= -margin
                return found[0][keep], found[1][keep], found[2][keep]
        self._pairs[margin] = self._part_pairs(margin)
        return self._pairs[margin]

    def _part_pairs(self, margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pa, pb, dd = [], [], []
        for i, j in self.candidates(margin):
            d = _depths(self.c[i], self.r[i], self.h[i], self.c[j], self.r[j], self.h[j])
            near = d >= -margin
            oa, ob = self.owner[i[near]], self.owner[j[near]]
            pa.append(np.minimum(oa, ob))
            pb.append(np.maximum(oa, ob))
            dd.append(d[near])
        if not pa:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        a, b, d = np.concatenate(pa), np.concatenate(pb), np.concatenate(dd)
        key = a * len(self.ids) + b
        order = np.lexsort((-d, key))  # per pair, the deepest first
        key, d = key[order], d[order]
        first = np.r_[True, key[1:] != key[:-1]]
        key, d = key[first], d[first]
        return key // len(self.ids), key % len(self.ids), d

    def gap(self, k: int, others: list[int]) -> float:
        """Smallest separation (mm, a lower bound from the separating axes) between part k and
        any of the parts `others`."""
        mine = np.flatnonzero(self.owner == k)
        theirs = np.flatnonzero(np.isin(self.owner, others))
        if not len(mine) or not len(theirs):
            return float("inf")
        i, j = np.repeat(mine, len(theirs)), np.tile(theirs, len(mine))
        d = _depths(self.c[i], self.r[i], self.h[i], self.c[j], self.r[j], self.h[j])
        return float(max(0.0, -d.max()))


@lru_cache(maxsize=4)
def boxes_of(spec: RobotSpec) -> Boxes:
    """The boxes of a build, kept for the few checks that run one after another on it."""
    return Boxes(spec)


def _roots(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of n nodes joined by the edges a-b: the smallest node of each
    node's component (label propagation with pointer jumping, in numpy)."""
    label = np.arange(n)
    while True:
        old = label.copy()
        low = np.minimum(label[a], label[b])
        np.minimum.at(label, a, low)
        np.minimum.at(label, b, low)
        label = label[label]
        if np.array_equal(label, old):
            return label


def attachment_problems(spec: RobotSpec, boxes: Boxes | None = None) -> list[SpecError]:
    """A part not joined to the structure it claims to be mounted on: a wheel or arm away from
    its motor, a bumper away from its touch sensor, anything not joined (through other parts)
    to the brick."""
    bricks = [k for k, p in enumerate(spec.parts) if p.kind == "brick"]
    if len(spec.parts) < 2 or len(bricks) != 1:
        return []  # no structure to attach to (the missing brick is reported elsewhere)
    boxes = boxes or boxes_of(spec)
    a, b, _ = boxes.part_pairs(ATTACH_GAP_MM)
    index = {p.id: k for k, p in enumerate(spec.parts)}
    n = len(spec.parts)
    out: list[SpecError] = []

    def err(k: int, problem: str, fix: str) -> None:
        f, key = spec.locate(spec.parts[k].id, "pos")
        out.append(SpecError(f, key, problem, fix))

    mounts = []  # (part, what it names, the word for it)
    for k, p in enumerate(spec.parts):
        mount, what = (p.motor, "motor") if p.motor else ((p.touch, "touch sensor") if p.touch else (None, ""))
        if mount is not None and mount in index:
            mounts.append((k, index[mount], what))
    joined = np.isin([min(k, m) * n + max(k, m) for k, m, _ in mounts], a * n + b)
    for (k, m, what), ok in zip(mounts, joined.tolist(), strict=True):
        if not ok:
            p = spec.parts[k]
            err(k, f"{p.kind} {p.id!r} is not on its {what} {spec.parts[m].id!r}: {boxes.gap(k, [m]):.0f} mm apart",
                f"move it against {spec.parts[m].id!r} (within {ATTACH_GAP_MM:g} mm; see `arena robot show`)")
    roots = _roots(n, a, b)
    brick = bricks[0]
    loose = np.flatnonzero(roots != roots[brick]).tolist()
    attached = np.flatnonzero(roots == roots[brick]).tolist()
    for n, k in enumerate(loose):
        p = spec.parts[k]
        far = f": {boxes.gap(k, attached):.0f} mm from the nearest part that is" if n < 20 else ""
        err(k, f"part {p.id!r} is not attached to the robot{far}",
            f"move it so it touches the structure it is mounted on (parts within {ATTACH_GAP_MM:g} mm count as joined)")
    return out


def overlaps(boxes: Boxes, allowed: set[frozenset], tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(part a, part b, depth) of every pair overlapping by more than tol mm, in build order
    (a < b), leaving out the allowed pairs (part ids)."""
    a, b, d = boxes.part_pairs(ATTACH_GAP_MM)  # the attachment check's search, usually done already
    deep = d > tol
    a, b, d = a[deep], b[deep], d[deep]
    index = {pid: k for k, pid in enumerate(boxes.ids)}
    pairs = [sorted(index[x] for x in pair) for pair in allowed if len(pair) == 2 and pair <= index.keys()]
    if pairs:
        n = len(boxes.ids)
        ok = ~np.isin(a * n + b, [x * n + y for x, y in pairs])
        a, b, d = a[ok], b[ok], d[ok]
    order = np.lexsort((b, a))
    return a[order], b[order], d[order]

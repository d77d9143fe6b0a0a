"""`arena view` and `arena drive`: a pygame window on a replay, a live run or a keyboard drive.

Left: the world from above with every robot's trail. Right: the score terms as they accrue and
panels plotting the chosen sensors and motor commands over time, the current time marked.
Bottom: the timeline (click or drag to scrub), play state and speed. `h` shows the keys.
`screenshot(path, at)` draws one frame into a file without a loop (how the tests look at it).
"""

from __future__ import annotations

import numpy as np
import pygame

from arena.view.canvas import DIM, INK, Canvas
from arena.view.overlay import PLAYER_COLORS
from arena.view.plots import label, panel

W, H = 1280, 800
MAP = pygame.Rect(8, 44, 752, 596)
SIDE_X, SIDE_W = 772, 500
TIMELINE = pygame.Rect(24, 680, W - 48, 22)
MAP_MODES = ("top", "chase", "above")  # the map: top-down drawing, or 3D (TinyRenderer) behind / above
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, None)  # None: as fast as the machine goes
HELP = (("space", "play / pause"), ("right / left", "one step (paused) or +-1 s (playing)"),
        ("page up / down", "+-10 s"), ("home / end", "start / end"), ("up / down", "faster / slower"),
        ("mouse on the timeline", "scrub"), ("3", "map: top-down / 3D chase / 3D above"), ("h", "this help"), ("q / esc", "quit (esc in a drive: q turns a motor)"))


class ReplaySource:
    """A replay, re-simulated once up front; every step is then at hand for scrubbing."""

    live = False

    def __init__(self, rep: dict):
        from arena.view.stage import Stage
        from arena.view.trace import trace_replay

        self.layout = self.world = self.robots = self.stage = None

        def first(step, match, trace):
            if step == 0:
                self.world, self.layout = match.world, match.layout
                self.robots = [r.asm for r in match.robots]
                self.stage = Stage(match)  # its visuals; poses come from trace.scenes

        self.trace = trace_replay(rep, first, keep_3d=True)
        self.done = True

    def more(self, n: int) -> None:
        pass

    def close(self) -> None:
        if self.stage is not None:
            self.stage.close()


class SessionSource:
    """A live run or a drive (arena.view.live): steps are made as the viewer asks for them."""

    live = True

    def __init__(self, session):
        self.session = session
        m = session.match
        self.world, self.layout, self.robots = m.world, m.layout, [r.asm for r in m.robots]
        self.trace = session.trace
        self.held: set[str] = set()
        self._stage = None

    @property
    def stage(self):
        if self._stage is None:  # built when a 3D map is first asked for
            from arena.view.stage import Stage

            self._stage = Stage(self.session.match)
        return self._stage

    @property
    def done(self) -> bool:
        return self.session.done

    def more(self, n: int) -> None:
        for _ in range(n):
            if self.session.done:
                return
            if hasattr(self.session, "command"):  # a drive: the keys held now
                self.session.advance(self.held)
            else:
                self.session.advance()

    def close(self) -> None:
        if self._stage is not None:
            self._stage.close()
        self.session.close()


class Viewer:
    def __init__(self, source, channels: list[str] | None = None, title: str = "Kit Arena"):
        from arena.world.draw import TopDown

        self.src, self.title = source, title
        tr = source.trace
        self.channels = channels if channels is not None else tr.default_channels(0, 4)
        mat = source.world.mat_for(source.layout)
        scale = max(mat.width / MAP.w, mat.height / MAP.h)
        self.top = TopDown(source.world, scale=scale, layout=source.layout)
        h, w = self.top.base.shape[:2]
        self.f = min(MAP.w / w, MAP.h / h)  # the top-down picture is scaled by f to fit MAP
        self.map_size = (int(w * self.f), int(h * self.f))
        self.map_origin = (MAP.x + (MAP.w - self.map_size[0]) // 2, MAP.y + (MAP.h - self.map_size[1]) // 2)
        self.cur = 0.0  # the step index shown (fractional while playing)
        self.playing = False
        self.speed_i = SPEEDS.index(1.0)  # the speed a window starts at
        self.help = False
        self.dragging = False
        self.map_mode = "top"

    # -- drawing ---------------------------------------------------------------------------------
    def draw(self, k: int) -> Canvas:
        tr = self.src.trace
        k = max(0, min(k, len(tr) - 1))
        c = Canvas(W, H)
        self._map(c, k)
        self._header(c, k)
        self._side(c, k)
        self._timeline(c, k)
        if self.help:
            self._help(c)
        return c

    def _map(self, c: Canvas, k: int) -> None:
        if self.map_mode != "top":
            self._map_3d(c, k)
            return
        tr, top = self.src.trace, self.top
        objects = [_Obj(*o) for o in tr.objects[k]]
        robots = [(_Robot(asm), _Obj(*pl.poses[k])) for asm, pl in zip(self.src.robots, tr.players, strict=True)]
        img = top.frame(robots, objects)
        surf = pygame.transform.smoothscale(pygame.surfarray.make_surface(np.ascontiguousarray(img.transpose(1, 0, 2))),
                                            self.map_size)
        c.surf.blit(surf, self.map_origin)
        for i, pl in enumerate(tr.players):
            xy = np.asarray(pl.poses[:k + 1])[:, :2]
            pts = self.map_px(xy[:, 0], xy[:, 1])
            c.lines(pts, PLAYER_COLORS[i % len(PLAYER_COLORS)], 2)
            c.disc(*pts[-1], 4, PLAYER_COLORS[i % len(PLAYER_COLORS)])

    def _map_3d(self, c: Canvas, k: int) -> None:
        """The map as a TinyRenderer frame of the recorded state at step k (no shadows: speed)."""
        from arena.view import camera as cams
        from arena.view.overlay import trail

        tr = self.src.trace
        stage = self.src.stage
        stage.apply(tr.scenes[k])
        if self.map_mode == "chase":
            x, y, _ = tr.players[0].poses[k]
            cam = cams.chase(x, y, cams.steady_yaw(tr.players[0].poses, k))
        else:
            mat = self.src.world.mat_for(self.src.layout)
            cam = cams.top(mat.width, mat.height, MAP.w / MAP.h)
        sub = Canvas.of(stage.sim.camera(MAP.w, MAP.h, cam.eye, cam.target, cam.up, cam.fov, shadow=False))
        for i, pl in enumerate(tr.players):
            trail(sub, cam, np.asarray(pl.poses[:k + 1])[:, :2], PLAYER_COLORS[i % len(PLAYER_COLORS)])
        sub.text(f"3D {self.map_mode} (TinyRenderer; 3: next view)", 8, MAP.h - 22, size=18, box=(0, 0, 0, 150))
        c.surf.blit(sub.surf, MAP.topleft)

    def map_px(self, x, y) -> np.ndarray:
        """Window pixels (column, row) of world points (m) on the map."""
        px, py = self.top.to_px(np.atleast_1d(x), np.atleast_1d(y))
        return np.column_stack([self.map_origin[0] + px * self.f, self.map_origin[1] + py * self.f])

    def _header(self, c: Canvas, k: int) -> None:
        tr = self.src.trace
        x = 24 + c.text(f"{tr.world}  seed {tr.seed}", 12, 10, size=26, bold=True)[0]
        for i, pl in enumerate(tr.players):
            c.rect(x, 14, 12, 12, PLAYER_COLORS[i % len(PLAYER_COLORS)])
            x += 18 + c.text(f"{pl.agent} ({pl.robot})", x + 16, 12, size=22)[0] + 16
        c.text("h: keys", W - 12, 12, size=20, color=DIM, anchor="tr")

    def _side(self, c: Canvas, k: int) -> None:
        tr = self.src.trace
        y = MAP.y
        rows = sum(1 + len(pl.terms[k]) for pl in tr.players)
        box_h = 30 + 20 * rows
        c.rect(SIDE_X, y, SIDE_W, box_h, (30, 32, 40))
        c.text("score", SIDE_X + 8, y + 6, size=20, bold=True)
        yy = y + 28
        for i, pl in enumerate(tr.players):
            col = PLAYER_COLORS[i % len(PLAYER_COLORS)]
            c.text(f"{pl.agent}", SIDE_X + 8, yy, size=20, color=col, bold=True)
            c.text(f"{pl.totals[k]:.2f}", SIDE_X + SIDE_W - 10, yy, size=20, color=col, anchor="tr", bold=True)
            yy += 20
            for name, pts in pl.terms[k].items():
                c.text(name, SIDE_X + 24, yy, size=18, color=INK if abs(pts) > 1e-9 else DIM)
                c.text(f"{pts:+.2f}", SIDE_X + SIDE_W - 10, yy, size=18, color=INK if abs(pts) > 1e-9 else DIM,
                       anchor="tr")
                yy += 20
        y += box_h + 8
        n = max(1, len(self.channels))
        ph = max(60, (MAP.bottom - y - 8 * (n - 1)) // n)
        t = np.asarray(tr.steps, dtype=float) * tr.dt
        t_end = max(float(t[-1]), tr.time(k), 1e-6)
        if self.src.live:
            t_end = max(t_end, min(tr.time_limit, t_end * 1.25 + 1.0))
        now = tr.time(k)
        for name in self.channels:
            series = [(tr.series(i, name), PLAYER_COLORS[i % len(PLAYER_COLORS)])
                      for i, pl in enumerate(tr.players) if name in pl.channels]
            panel(c, SIDE_X, y, SIDE_W, ph, t, series, label(name) + (f"  {series[0][0][k]:.4g}" if series else ""),
                  now=now, t_range=(0.0, t_end))
            y += ph + 8

    def _t_end(self) -> float:
        tr = self.src.trace
        return tr.time_limit if self.src.live else max(tr.time(len(tr) - 1), 1e-6)

    def _timeline(self, c: Canvas, k: int) -> None:
        tr = self.src.trace
        end = self._t_end()
        now = tr.time(k)
        c.rect(TIMELINE.x, TIMELINE.y, TIMELINE.w, TIMELINE.h, (44, 46, 56))
        have = tr.time(len(tr) - 1) / end if end > 0 else 1.0
        c.rect(TIMELINE.x, TIMELINE.y, int(TIMELINE.w * min(1.0, have)), TIMELINE.h, (70, 74, 90))
        step_s = _tick(end)
        for j in range(int(end / step_s) + 1):
            x = TIMELINE.x + TIMELINE.w * j * step_s / end
            c.line((x, TIMELINE.bottom), (x, TIMELINE.bottom + 6), DIM)
            c.text(f"{j * step_s:g}", x, TIMELINE.bottom + 8, size=16, color=DIM, anchor="c" if j else "tl")
        x = TIMELINE.x + TIMELINE.w * min(1.0, now / end)
        c.rect(x - 2, TIMELINE.y - 6, 5, TIMELINE.h + 12, (255, 80, 80))
        speed = SPEEDS[self.speed_i]
        state = "playing" if self.playing else "paused"
        c.text(f"{state}   x{speed:g}" if speed else f"{state}   x max", TIMELINE.x, TIMELINE.y - 30, size=22, bold=True)
        c.text(f"t = {now:.2f} s / {end:g} s    step {tr.steps[k]}", TIMELINE.right, TIMELINE.y - 30, size=22,
               anchor="tr")
        if self.src.live and getattr(self.src.session, "keys_help", None):
            c.text("keys: " + "   ".join(self.src.session.keys_help), TIMELINE.x, TIMELINE.bottom + 30, size=18,
                   color=DIM)

    def _help(self, c: Canvas) -> None:
        w, h = 560, 40 + 28 * len(HELP)
        x, y = (W - w) // 2, (H - h) // 2
        c.rect(x, y, w, h, (10, 10, 14, 225))
        c.text("keys", x + 16, y + 10, size=24, bold=True)
        for j, (key, what) in enumerate(HELP):
            c.text(key, x + 16, y + 40 + 28 * j, size=22, color=(255, 210, 120))
            c.text(what, x + 220, y + 40 + 28 * j, size=22)

    # -- time ------------------------------------------------------------------------------------
    def seek(self, seconds: float) -> None:
        tr = self.src.trace
        want = int(round(seconds / tr.dt))
        if self.src.live and want > tr.steps[-1]:
            self.src.more(want - tr.steps[-1])
        self.cur = float(tr.index_at(seconds))

    def tick(self, wall_dt: float) -> None:
        """Advance playback by a frame's wall time."""
        tr = self.src.trace
        if not self.playing:
            return
        speed = SPEEDS[self.speed_i]
        steps = 40.0 if speed is None else speed * wall_dt / tr.dt
        self.cur += steps
        last = len(tr) - 1
        if self.cur > last:
            if self.src.live and not self.src.done:
                self.src.more(int(self.cur) - last)
            last = len(tr) - 1
            if self.cur > last:
                self.cur = float(last)
                if not self.src.live or self.src.done:
                    self.playing = False

    def key(self, name: str, shift: bool = False) -> bool:
        """Handle one key; False means quit."""
        tr = self.src.trace
        if name in ("q", "escape"):
            return False
        if name == "h":
            self.help = not self.help
        elif name == "3":
            self.map_mode = MAP_MODES[(MAP_MODES.index(self.map_mode) + 1) % len(MAP_MODES)]
        elif name == "space":
            self.playing = not self.playing
        elif name in ("right", "left"):
            sign = 1 if name == "right" else -1
            if self.playing or shift:
                self.seek(tr.time(int(self.cur)) + sign)
            else:
                self.seek(tr.time(int(self.cur)) + sign * tr.dt)
        elif name in ("page up", "page down"):
            self.seek(tr.time(int(self.cur)) + (10 if name == "page up" else -10))
        elif name == "home":
            self.cur = 0.0
        elif name == "end":
            self.cur = float(len(tr) - 1)
        elif name == "up":
            self.speed_i = min(self.speed_i + 1, len(SPEEDS) - 1)
        elif name == "down":
            self.speed_i = max(self.speed_i - 1, 0)
        return True

    def scrub(self, x: int) -> None:
        frac = min(max((x - TIMELINE.x) / TIMELINE.w, 0.0), 1.0)
        self.seek(frac * self._t_end())

    def screenshot(self, path, at: float | None = None) -> None:
        if at is not None:
            self.seek(at)
        pygame.image.save(self.draw(int(self.cur)).surf, str(path))

    # -- the window ------------------------------------------------------------------------------
    def run(self, drive: bool = False, frames: int | None = None, shot=None) -> None:
        """The interactive loop; `frames`: stop after that many frames (tests, demos), `shot`: then
        save what the window shows to that PNG."""
        pygame.display.init()
        pygame.font.init()
        screen = pygame.display.set_mode((W, H))
        pygame.display.set_caption(self.title)
        clock = pygame.time.Clock()
        self.playing = True
        shown = 0
        try:
            while frames is None or shown < frames:
                for ev in pygame.event.get():
                    if ev.type == pygame.QUIT:
                        return
                    if ev.type == pygame.KEYDOWN:
                        name = pygame.key.name(ev.key)
                        if drive and name in _DRIVE_NAMES:
                            continue  # the drive's keys steer, read as held keys below (quit with esc)
                        if not self.key(name, bool(ev.mod & pygame.KMOD_SHIFT)):
                            return
                    elif ev.type == pygame.MOUSEBUTTONDOWN and TIMELINE.inflate(0, 20).collidepoint(ev.pos):
                        self.dragging = True
                        self.scrub(ev.pos[0])
                    elif ev.type == pygame.MOUSEBUTTONUP:
                        self.dragging = False
                    elif ev.type == pygame.MOUSEMOTION and self.dragging:
                        self.scrub(ev.pos[0])
                if drive:
                    pressed = pygame.key.get_pressed()
                    self.src.held = {n for n in _DRIVE_NAMES if pressed[pygame.key.key_code(n)]}
                self.tick(clock.get_time() / 1000.0)
                screen.blit(self.draw(int(self.cur)).surf, (0, 0))
                pygame.display.flip()
                shown += 1
                clock.tick(30)
            if shot is not None:
                pygame.image.save(screen, str(shot))
        finally:
            pygame.display.quit()


_DRIVE_NAMES = ("up", "down", "left", "right", "q", "a", "w", "s", "e", "d", "r", "f")


class _Obj:
    def __init__(self, x: float, y: float, yaw: float):
        self.x, self.y, self.yaw = x, y, yaw


class _Robot:
    def __init__(self, asm):
        self.asm = asm


def _tick(end: float) -> float:
    for s in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300):
        if end / s <= 12:
            return float(s)
    return 600.0

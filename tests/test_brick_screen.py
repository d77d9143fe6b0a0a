"""The EV3 screen recorded as pictures: the brick's drawing calls rendered into a 178 x 128
black-and-white bitmap (arena/controllers/screen.py), a frame each time the screen changed, written
by `arena run --screen-dir` and carried in `arena run --json`."""

import base64
import io
import json
import subprocess
import textwrap

from PIL import Image

from arena.controllers.screen import HEIGHT, WIDTH, Screen, screen_frames
from tests.conftest import arena_cmd


def ev(t, text):
    return {"t_s": t, "text": text}


def black(img, x, y) -> bool:
    return img.getpixel((x, y)) == 0


def test_shapes_land_on_the_brick_s_pixels():
    s = Screen()
    for text in ("box 10,10 20,20 fill", "box 30,10 40,20", "line 0,100 177,100 w3", "circle 100,50 r10",
                 "pixel 5,5", "box 12,12 14,14 fill white", "text/white/black 60,60 A"):
        s.apply(text)
    img = s.image
    assert img.size == (WIDTH, HEIGHT) == (178, 128) and img.mode == "1"
    assert black(img, 15, 18) and not black(img, 13, 13)  # filled box, with a white box drawn in it
    assert black(img, 30, 15) and not black(img, 35, 15)  # an outline is hollow
    assert black(img, 90, 99) and black(img, 90, 101) and not black(img, 90, 97)  # 3 px wide line
    assert black(img, 110, 50) and black(img, 100, 40) and not black(img, 100, 50)  # circle of radius 10
    assert black(img, 5, 5) and not black(img, 6, 6)
    s.apply("clear")
    assert not any(black(s.image, x, y) for x in range(178) for y in range(128))


def test_print_moves_down_a_line_and_scrolls_at_the_bottom():
    s = Screen()
    s.apply("print first")
    assert s.line_y == 15 and any(black(s.image, x, y) for x in range(40) for y in range(15))  # first line
    assert not any(black(s.image, x, y) for x in range(178) for y in range(15, 30))
    for i in range(20):
        s.apply(f"print line {i}")
    assert s.line_y == HEIGHT  # scrolled: the last line sits at the bottom, not off the screen
    assert any(black(s.image, x, y) for x in range(40) for y in range(HEIGHT - 15, HEIGHT))
    s.apply("font 30")
    assert s.size == 30


def test_one_frame_per_moment_the_screen_changed_and_the_cap_keeps_the_last():
    events = [ev(0.0, "clear"), ev(0.0, "box 0,0 10,10 fill"), ev(0.5, "save x.png"), ev(1.0, "line 0,50 50,50"),
              ev(1.0, "line 0,60 50,60")]
    frames, truncated = screen_frames(events)
    assert [f["t_s"] for f in frames] == [0.0, 1.0] and not truncated  # save changes nothing; 1.0 is one frame
    img = Image.open(io.BytesIO(frames[1]["png"]))
    assert img.size == (178, 128) and black(img.convert("1"), 25, 50) and black(img.convert("1"), 25, 60)
    many = [ev(i / 10, f"pixel {i},{i}") for i in range(50)]
    frames, truncated = screen_frames(many, max_frames=5)
    assert truncated and len(frames) == 5 and frames[-1]["t_s"] == 4.9  # the final screen is always kept
    assert black(Image.open(io.BytesIO(frames[-1]["png"])).convert("1"), 49, 49)


PROGRAM = """
from pybricks.hubs import EV3Brick
from pybricks.parameters import Color
from pybricks.tools import wait
ev3 = EV3Brick()
ev3.screen.clear()
ev3.screen.draw_box(0, 0, 177, 127, fill=True)
ev3.screen.draw_text(10, 10, "GO", text_color=Color.WHITE)
wait(300)
ev3.screen.clear()
ev3.screen.print("done")
"""


def test_arena_run_writes_the_screen_pictures_and_carries_them_in_json(tmp_path):
    prog = tmp_path / "prog"
    prog.mkdir()
    (prog / "main.py").write_text(textwrap.dedent(PROGRAM))
    shots = tmp_path / "shots"
    p = subprocess.run(arena_cmd("run", "--world", "line-follow", "--agent", str(prog), "--screen-dir", str(shots),
                                 "--json"), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    files = sorted(f.name for f in shots.iterdir())
    assert files == ["screen-000-0.00s.png", "screen-001-0.30s.png"]
    first = Image.open(shots / files[0]).convert("1")
    assert black(first, 100, 100) and not black(first, 12, 14)  # all black, white letters at 10,10
    result = json.loads(p.stdout)
    pngs = result["brick"]["screen_png"]
    assert [f["t_s"] for f in pngs] == [0.0, 0.3]
    assert base64.b64decode(pngs[1]["png"]) == (shots / files[1]).read_bytes()
    # a file where the folder should be: one line, no run
    bad = subprocess.run(arena_cmd("run", "--world", "line-follow", "--agent", str(prog), "--screen-dir",
                                   str(prog / "main.py")), capture_output=True, text=True, timeout=600)
    assert bad.returncode != 0 and "--screen-dir" in bad.stderr and "Traceback" not in bad.stderr

"""Submissions: immutable content-addressed copies; hostile archives and pickles refused."""

import io
import json
import os
import pickle
import shutil
import subprocess
import zipfile

import numpy as np
import pytest
import tiny
from conftest import arena_cmd

from arena.compete.store import Store
from arena.compete.submissions import MAX_FILE_BYTES, SubmissionError, read_submission, submit

ROOT = tiny.ROOT


def folder(tmp_path, name="mine"):
    d = tmp_path / name
    shutil.copytree(ROOT / "agents" / "line_follower", d)
    return d


def make_zip(path, entries, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data, *mode in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            if mode:
                info.external_attr = mode[0] << 16
            z.writestr(info, data)
    return path


def test_a_folder_is_stored_once_read_only_under_its_content_hash(tmp_path):
    root = tmp_path / "subs"
    a = submit(folder(tmp_path), "mine", "ada", root)
    assert a.new and a.path.name == "mine" and a.path.parent.name == a.agent_hash
    assert (a.path / "controller.py").is_file()
    assert not os.access(a.path / "controller.py", os.W_OK) or os.geteuid() == 0
    assert oct((a.path / "controller.py").stat().st_mode & 0o777) == "0o444"
    b = submit(folder(tmp_path, "again"), "mine", "ada", root)
    assert not b.new and b.agent_hash == a.agent_hash


@pytest.mark.parametrize("case, words", [
    ("symlink", "symlinks"),
    ("no_controller", "no controller.py"),
    ("pickle_name", "pickle"),
    ("pickle_bytes", "looks like a pickle"),
    ("object_npy", "object array"),
    ("oversized", "limit"),
])
def test_bad_folders_are_refused(tmp_path, case, words):
    d = folder(tmp_path)
    if case == "symlink":
        (d / "link.py").symlink_to("/etc/passwd")
    elif case == "no_controller":
        (d / "controller.py").unlink()
    elif case == "pickle_name":
        (d / "policy.pt").write_bytes(b"whatever")
    elif case == "pickle_bytes":
        (d / "weights.bin").write_bytes(pickle.dumps({"w": 1}))
    elif case == "object_npy":
        np.save(d / "w.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif case == "oversized":
        with open(d / "big.bin", "wb") as f:
            f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(SubmissionError, match=words):
        read_submission(d)


def test_numeric_weights_are_accepted(tmp_path):
    d = folder(tmp_path)
    np.savez(d / "policy.npz", w=np.ones((4, 4)))
    assert "policy.npz" in read_submission(d)


def test_zip_of_a_folder_is_accepted(tmp_path):
    src = (ROOT / "agents" / "line_follower" / "controller.py").read_bytes()
    z = make_zip(tmp_path / "a.zip", [("mine/controller.py", src), ("mine/agent.toml", b'name = "mine"\n')])
    assert set(read_submission(z)) == {"controller.py", "agent.toml"}


@pytest.mark.parametrize("entries, words", [
    ([("../evil.py", b"x"), ("controller.py", b"x")], "../"),
    ([("/etc/evil.py", b"x"), ("controller.py", b"x")], "absolute"),
    ([("controller.py", b"x"), ("link", b"/etc/passwd", 0o120777)], "symlinks"),
    ([("controller.py", b"x"), ("bomb.txt", b"\0" * (MAX_FILE_BYTES - 1))], "zip bomb"),
    ([("controller.py", b"x"), ("model.pkl", b"x")], "pickle"),
])
def test_hostile_archives_are_refused(tmp_path, entries, words):
    z = make_zip(tmp_path / "a.zip", entries)
    with pytest.raises(SubmissionError, match=words):
        read_submission(z)


def test_a_zip_whose_header_lies_about_sizes_is_refused(tmp_path):
    z = make_zip(tmp_path / "a.zip", [("controller.py", b"x" * 100)], zipfile.ZIP_STORED)
    raw = bytearray(z.read_bytes())
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = (10).to_bytes(4, "little")  # uncompressed size in the central directory
    z.write_bytes(bytes(raw))
    with pytest.raises(SubmissionError):
        read_submission(z)


def test_a_torch_style_zip_with_a_pickle_inside_is_refused(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    d = folder(tmp_path)
    (d / "model.bin").write_bytes(inner.getvalue())
    with pytest.raises(SubmissionError, match="pickle"):
        read_submission(d)


def test_cli_submit_validates_stores_and_schedules(tmp_path):
    world = tiny.solo_world(tmp_path)
    db = tmp_path / "r.sqlite"
    p = subprocess.run(arena_cmd("submit", str(folder(tmp_path)), "--name", "mine", "--owner", "ada", "--db", str(db),
                                 "--world", str(world), "--seeds", "2"),
                       capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    assert p.returncode == 0, p.stderr + p.stdout
    assert "accepted" in p.stdout and "1 match(es) scheduled for mine on LineFollow-v0 (1 already played)" in p.stdout
    crash = tiny.agent(tmp_path, "crashy", tiny.CRASHER)
    p = subprocess.run(arena_cmd("submit", str(crash), "--name", "crashy", "--db", str(db), "--world", str(world)),
                       capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    assert p.returncode == 1 and "rejected" in p.stdout and "boom" in p.stdout
    s = Store(db)
    subs = {x["name"]: x for x in s.submissions(active_only=False)}
    assert subs["mine"]["status"] == "accepted" and subs["mine"]["owner"] == "ada"
    assert subs["crashy"]["status"] == "rejected"
    assert [x["name"] for x in s.submissions()] == ["mine"]
    p = subprocess.run(arena_cmd("submit", str(tmp_path / "nope"), "--name", "x", "--db", str(db)),
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 2 and "no such file" in p.stderr
    p = subprocess.run(arena_cmd("submit", str(crash), "--name", "../etc", "--db", str(db)),
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 2 and "name" in p.stderr
    json.dumps(subs)  # plain data

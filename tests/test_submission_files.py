"""Hostile submission files: names (not UTF-8, control and bidi characters, NFC and case clashes),
zip slip, symlinks, member counts, zip bombs, empty or non-source files; each refused with one
clear line that shows the name escaped, and the content hash deterministic."""

import os
import shutil
import zipfile

import pytest
import tiny

from arena.compete.submissions import (
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    SubmissionError,
    read_submission,
    shown,
    store_copy,
    submit,
)
from arena.content import agent_hash

ROOT = tiny.ROOT
SRC = (ROOT / "agents" / "line_follower" / "controller.py").read_bytes()


def folder(tmp_path, name="mine"):
    d = tmp_path / name
    shutil.copytree(ROOT / "agents" / "line_follower", d)
    return d


def make_zip(path, entries, **info_kw):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            for k, v in info_kw.items():
                setattr(info, k, v)
            z.writestr(info, data)
    return path


def patch_name(path, old: bytes, new: bytes):
    """Rewrite a member name in place (local header and central directory): names zipfile would not write."""
    raw = path.read_bytes()
    assert raw.count(old) == 2 and len(old) == len(new)
    path.write_bytes(raw.replace(old, new))
    return path


def refused(src, *words):
    with pytest.raises(SubmissionError) as e:
        read_submission(src)
    msg = str(e.value)
    for w in words:
        assert w in msg, msg
    assert msg.isprintable() and "\n" not in msg, msg  # one line, nothing that moves the cursor or the text
    return msg


# -- names ---------------------------------------------------------------------------------------------
def test_a_folder_file_name_that_is_not_utf8_is_refused_and_still_hashes(tmp_path):
    d = folder(tmp_path)
    (d / os.fsdecode(b"w\xffeights.txt")).write_bytes(b"1")
    msg = refused(d, "not valid UTF-8", "w\\xffeights.txt")
    assert "fix:" in msg
    # `arena run --agent` on such a folder hashed it with str.encode(): UnicodeEncodeError
    h = agent_hash(d)
    assert h == agent_hash(d) and len(h) == 16


@pytest.mark.parametrize("name, code", [
    ("evil\u202etxt.py", "U+202E"),  # right-to-left override: shows as evilyp.txt
    ("a\u2066b.py", "U+2066"),  # bidi isolate
    ("zero\u200bwidth.py", "U+200B"),
    ("bell\x07.py", "U+0007"),
    ("new\nline.py", "U+000A"),
    ("esc\x1b[31m.py", "U+001B"),
])
def test_zip_member_names_with_control_or_bidi_characters_are_refused(tmp_path, name, code):
    z = make_zip(tmp_path / "a.zip", [("controller.py", SRC), (name, b"x")])
    msg = refused(z, code, "control or invisible")
    assert not any(c in msg for c in "\u202e\u2066\u200b\x07\x1b")


def test_a_zip_member_name_in_a_legacy_encoding_is_refused(tmp_path):
    z = patch_name(make_zip(tmp_path / "a.zip", [("controller.py", SRC), ("Xnotes.txt", b"x")]),
                   b"Xnotes.txt", b"\xe9notes.txt")  # latin-1 e-acute, no UTF-8 flag
    refused(z, "not valid UTF-8", "\\xe9notes.txt")


def test_a_zip_member_name_flagged_utf8_but_invalid_is_refused(tmp_path):
    z = patch_name(make_zip(tmp_path / "a.zip", [("controller.py", SRC), ("\u00e9.txt", b"x")]),
                   "\u00e9.txt".encode(), b"\xff\xfe.txt")
    refused(z, "marked UTF-8 but is not")


def test_names_are_stored_nfc_and_hash_the_same_whatever_the_zip_tool_wrote(tmp_path):
    nfd = make_zip(tmp_path / "nfd.zip", [("controller.py", SRC), ("cafe\u0301.json", b"[1]")])
    nfc = make_zip(tmp_path / "nfc.zip", [("controller.py", SRC), ("caf\u00e9.json", b"[1]")])
    assert set(read_submission(nfd)) == {"controller.py", "caf\u00e9.json"}
    a = submit(nfd, "mine", "ada", tmp_path / "subs")
    b = submit(nfc, "mine", "ada", tmp_path / "subs")
    assert a.agent_hash == b.agent_hash and not b.new
    assert (a.path / "caf\u00e9.json").is_file()


@pytest.mark.parametrize("names, words", [
    (["cafe\u0301.json", "caf\u00e9.json"], "the same name"),
    (["data.json", "data.json"], "the same name"),
    (["Data.json", "data.json"], "differ only in case"),
    (["lib", "lib/util.py"], "both a file and a folder"),
    (["LIB", "lib/util.py"], "both a file and a folder"),
])
def test_names_that_clash_are_refused(tmp_path, names, words):
    with pytest.warns(UserWarning) if names[0] == names[1] else _nothing():
        z = make_zip(tmp_path / "a.zip", [("controller.py", SRC)] + [(n, b"1") for n in names])
    refused(z, words, "rename one")


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("name, words", [
    ("../evil.py", "../"),
    ("a/../../evil.py", "../"),
    ("..\\evil.py", "../"),
    ("/etc/evil.py", "absolute"),
    ("C:/Windows/evil.py", "absolute"),
    ("./x.py", "odd path"),
    ("~/x.py", "odd path"),
    ("a//b.py", "odd path"),
    ("x" * 300 + ".py", "too long"),
    ("/".join(["d"] * 20) + "/x.py", "too deep"),
])
def test_zip_slip_and_odd_paths_are_refused(tmp_path, name, words):
    z = make_zip(tmp_path / "a.zip", [("controller.py", SRC), (name, b"x")])
    refused(z, words)


def test_shown_escapes_what_would_fool_a_terminal():
    assert shown("a\u202eb") == "'a\\u202eb'"
    assert shown(os.fsdecode(b"a\xffb")) == "'a\\xffb'"
    assert shown("caf\u00e9 [red]") == "'caf\u00e9 [red]'"


# -- links, counts, sizes --------------------------------------------------------------------------
def test_a_symlinked_folder_inside_a_folder_is_refused(tmp_path):
    d = folder(tmp_path)
    (d / "lib").symlink_to(tmp_path, target_is_directory=True)
    refused(d, "symlinks")


def test_the_submission_itself_may_not_be_a_symlink(tmp_path):
    (tmp_path / "link").symlink_to(folder(tmp_path))
    refused(tmp_path / "link", "symlinks")


def test_too_many_members_are_refused(tmp_path):
    z = make_zip(tmp_path / "a.zip", [("controller.py", SRC)] + [(f"f{i}.txt", b"x") for i in range(MAX_ENTRIES)])
    refused(z, "entries", str(MAX_ENTRIES))


def test_too_many_folders_are_refused(tmp_path):
    d = folder(tmp_path)
    for i in range(MAX_ENTRIES):
        (d / f"d{i}").mkdir()
    refused(d, "files and folders")


def test_an_oversized_member_directory_is_refused_before_it_is_parsed(tmp_path):
    # 20 members with 60 KB comments each: a central directory of 1.2 MB for 21 files
    z = make_zip(tmp_path / "a.zip", [("controller.py", SRC)] + [(f"f{i}.txt", b"x") for i in range(20)],
                 comment=b"c" * 60000)
    refused(z, "list of members")


def test_a_zip_inflating_past_the_total_limit_is_refused_unread(tmp_path):
    big = b"\0" * (MAX_FILE_BYTES - 1)
    z = make_zip(tmp_path / "a.zip", [("controller.py", SRC)] + [(f"w{i}.bin", big) for i in range(5)])
    refused(z, "inflates to", "zip bomb")


def test_a_file_too_large_is_refused(tmp_path):
    d = folder(tmp_path)
    with open(d / "big.bin", "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    refused(d, "limit per file")


# -- what is (not) an agent ------------------------------------------------------------------------
def test_empty_submissions_are_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    refused(tmp_path / "empty", "empty")
    refused(make_zip(tmp_path / "a.zip", []), "empty")
    (tmp_path / "blank.py").write_text("\n\n")
    refused(tmp_path / "blank.py", "controller.py is empty")


@pytest.mark.parametrize("data, words", [
    ("# caf\u00e9\nclass Controller: pass\n".encode("latin-1"), "not UTF-8"),
    (b"class Controller: pass\n\0\0", "NUL bytes"),
])
def test_python_files_that_are_not_utf8_source_are_refused(tmp_path, data, words):
    (tmp_path / "c.py").write_bytes(data)
    refused(tmp_path / "c.py", words)
    d = folder(tmp_path)
    (d / "helper.py").write_bytes(data)
    refused(d, "helper.py", words)


def test_missing_paths_and_other_kinds_of_file_are_refused(tmp_path):
    refused(tmp_path / "nope", "no such file or folder")
    (tmp_path / "agent.txt").write_text("class Controller: pass\n")
    refused(tmp_path / "agent.txt", "not an agent")
    os.mkfifo(tmp_path / "pipe.py")
    refused(tmp_path / "pipe.py", "not an agent")
    (tmp_path / "fake.zip").write_bytes(b"not a zip at all")
    refused(tmp_path / "fake.zip", "not a readable zip")
    d = folder(tmp_path)
    os.mkfifo(d / "fifo")
    refused(d, "fifo", "only regular files")


def test_brick_programs_are_agents_too(tmp_path):
    assert set(read_submission(ROOT / "agents" / "brick_line_follower")) == {"agent.toml", "main.py"}
    single = tmp_path / "prog.py"
    shutil.copy(ROOT / "agents" / "brick_line_follower" / "main.py", single)
    assert set(read_submission(single)) == {"main.py"}  # stored as main.py, so it runs as a brick program
    assert set(read_submission(tmp_path / ".." / tmp_path.name / "prog.py")) == {"main.py"}


def test_a_different_submission_under_the_same_hash_is_never_mixed_up(tmp_path):
    # the hash reads name then bytes per file: "a" + "Xc" and "aX" + "c" feed it the same bytes
    root = tmp_path / "subs"
    root.mkdir()
    first = {"controller.py": SRC, "a": b"Xc"}
    path, h, new = store_copy(first, root, "mine")
    assert new
    with pytest.raises(SubmissionError, match="different files"):
        store_copy({"controller.py": SRC, "aX": b"c"}, root, "mine")
    assert store_copy(dict(first), root, "mine") == (path, h, False)

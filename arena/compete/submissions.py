"""Submissions: check an agent someone hands in and keep an immutable copy of it.

Accepted: an agent folder (controller.py or a brick program's main.py, optional agent.toml and
data files), a single .py file, or a .zip of a folder. Refused, each with the reason and the fix:
symlinks or other special files; absolute, ../ or drive paths; file names that are not UTF-8 or
hold control or bidi characters; two names that are the same after Unicode normalisation (NFC) or
up to case; too many, too large or too deep files; archives that inflate too far (zip bombs) or
whose central directory is oversized; pickles (.pkl/.pt/... or pickle bytes, numpy object arrays);
.py files that are not UTF-8 source; empty submissions and anything without a controller.
Names are stored NFC-normalised, so the content hash does not depend on the tool that made the zip.
The copy lives under <store dir>/submissions/<content hash>/<name>/, read-only; the same content
submitted twice is stored once. arena.compete.admission chooses its worlds and validates it.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from arena.errors import ArenaError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_FILES = 200
MAX_ENTRIES = MAX_FILES * 2  # files and folders together (a folder walk or a zip's members)
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_ZIP_RATIO = 100  # uncompressed / compressed, per member
MAX_ZIP_DIRECTORY = 1024 * 1024  # bytes of a zip's central directory: bounds the work before any check
MAX_NAME_BYTES = 255  # per path part (most file systems' limit)
MAX_PATH_BYTES = 1024
MAX_DEPTH = 16
ENTRY_POINTS = ("controller.py", "main.py")  # a controller class, or a brick program (main.py alone)
PICKLE_SUFFIXES = {".pkl", ".pickle", ".pt", ".pth", ".joblib", ".ckpt", ".sav", ".dill"}
SKIPPED_DIRS = {"__pycache__"}
# Unicode categories refused in names: controls (Cc), invisible formatting incl. bidi overrides (Cf),
# line/paragraph separators, surrogates, private use and unassigned code points.
BAD_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


class SubmissionError(ArenaError):
    pass


@dataclass
class Submission:
    name: str
    owner: str
    agent_hash: str
    path: Path
    new: bool  # False when this exact content was stored before


def shown(text: str | bytes) -> str:
    """Text for a message, quoted: undecodable bytes as \\xNN, controls and bidi characters as \\uXXXX
    (so a hostile name can neither break the terminal nor reorder the line it is printed on)."""
    if isinstance(text, str):
        try:
            text = text.encode("utf-8", "surrogateescape")  # names from os.walk keep their raw bytes this way
        except UnicodeEncodeError:
            text = text.encode("utf-8", "surrogatepass")
    s = text.decode("utf-8", "backslashreplace")
    return "'" + "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in s) + "'"


def check_name(name: str, fix: str = "--name my_agent") -> None:
    """`fix` names where the caller gave the name: a CLI flag, a form field, an API field."""
    if not NAME_RE.match(name):
        raise SubmissionError(f"name {shown(name)}: use 1-40 characters a-z, 0-9, _ or -, starting with a letter "
                              f"or digit (fix: {fix})")


def clean_path(raw: bytes, where: str = "") -> str:
    """A member's path (raw bytes, as in the folder or the archive) -> its stored name: UTF-8,
    NFC-normalised, relative, each part a plain file name. SubmissionError naming it otherwise."""
    label = f"{where}{shown(raw)}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(f"{label}: the file name is not valid UTF-8 (fix: rename it using letters, digits, "
                              "- and _)") from None
    bad = sorted({c for c in text if unicodedata.category(c) in BAD_CATEGORIES})
    if bad:
        codes = ", ".join(f"U+{ord(c):04X}" for c in bad)
        raise SubmissionError(f"{label}: the file name holds control or invisible (bidi) characters ({codes}) "
                              "(fix: rename it using letters, digits, - and _)")
    text = unicodedata.normalize("NFC", text.replace("\\", "/"))
    p = PurePosixPath(text)
    if p.is_absolute() or re.match(r"^[A-Za-z]:", text) or ".." in p.parts:
        raise SubmissionError(f"{label}: absolute or ../ paths are not allowed (fix: make it relative to the "
                              "agent folder)")
    if not p.parts or any(part in ("", ".") for part in text.rstrip("/").split("/")) or text.startswith("~"):
        raise SubmissionError(f"{label}: an odd path (empty, ./ or ~ parts) (fix: plain relative names only)")
    if (len(p.parts) > MAX_DEPTH or len(text.encode()) > MAX_PATH_BYTES
            or any(len(part.encode()) > MAX_NAME_BYTES for part in p.parts)):
        raise SubmissionError(f"{label}: the path is too long or too deep (limits: {MAX_NAME_BYTES} bytes a name, "
                              f"{MAX_PATH_BYTES} bytes and {MAX_DEPTH} levels a path)")
    return p.as_posix()


class _Files:
    """The files being collected: sizes, counts and name clashes checked as each arrives."""

    def __init__(self, where: str):
        self.where = where
        self.files: dict[str, bytes] = {}
        self.folded: dict[str, str] = {}  # casefolded path -> the name it came from
        self.total = 0

    def add(self, rel: str, data: bytes) -> None:
        key = rel.casefold()
        if key in self.folded:
            same = "the same name" if self.folded[key] == rel else "names that differ only in case"
            raise SubmissionError(f"{self.where}: {shown(self.folded[key])} and {shown(rel)} are {same} once "
                                  "normalised, and would overwrite each other on many systems (fix: rename one)")
        self.total += len(data)
        if self.total > MAX_TOTAL_BYTES or len(self.files) >= MAX_FILES:
            raise SubmissionError(f"{self.where}: over {MAX_TOTAL_BYTES >> 20} MB or {MAX_FILES} files in all "
                                  "(fix: leave out what the controller does not need)")
        self.folded[key] = rel
        self.files[rel] = data

    def done(self) -> dict[str, bytes]:
        # a name used both as a file and as a folder ("a" and "a/b") cannot be stored
        for rel in self.files:
            parts = PurePosixPath(rel).parts
            for i in range(1, len(parts)):
                prefix = "/".join(parts[:i]).casefold()
                if prefix in self.folded:
                    raise SubmissionError(f"{self.where}: {shown(self.folded[prefix])} is both a file and a folder "
                                          f"(of {shown(rel)}) (fix: rename one)")
        return self.files


def _check_content(rel: str, data: bytes) -> None:
    """Pickles are refused whatever their name: they run code when loaded."""
    suffix = PurePosixPath(rel).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raise SubmissionError(f"{shown(rel)}: pickle files ({suffix}) are refused; save weights as .npz or .json")
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        raise SubmissionError(f"{shown(rel)}: looks like a pickle (protocol {data[1]}); save weights as .npz or .json")
    if data[:6] == b"\x93NUMPY" and b"'descr': '|O'" in data[:256]:
        raise SubmissionError(f"{shown(rel)}: numpy object array (a pickle inside); use numeric arrays")
    if data[:4] == b"PK\x03\x04":  # a zip inside (.npz, torch checkpoints): look at its members
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for info in z.infolist():
                    if info.filename.endswith((".pkl", "data.pkl")) or info.file_size > MAX_FILE_BYTES:
                        raise SubmissionError(f"{shown(rel)}: contains {shown(info.filename)} (a pickle or an "
                                              "oversized member)")
                    if info.filename.endswith(".npy"):
                        with z.open(info) as f:
                            _check_content(f"{rel}:{info.filename}", f.read(256))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError,
                UnicodeDecodeError, struct.error):
            raise SubmissionError(f"{shown(rel)}: a broken zip file") from None


def _check_source(rel: str, data: bytes) -> None:
    """Python files must be UTF-8 source: the sandbox imports them as such."""
    if b"\0" in data:
        raise SubmissionError(f"{shown(rel)}: holds NUL bytes, so it is not Python source (fix: submit the .py text)")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{shown(rel)}: not UTF-8 text (byte {exc.start}) (fix: save it as UTF-8)") from None


def _read_folder(src: Path) -> dict[str, bytes]:
    where = shown(str(src))
    out = _Files(where)
    top = os.fsencode(src)
    entries = 0

    def unreadable(exc: OSError) -> None:
        raise SubmissionError(f"{shown(exc.filename or src)}: cannot read the folder ({exc.strerror})")

    # bytes paths: names reach clean_path exactly as they are on disk, valid UTF-8 or not
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False, onerror=unreadable):
        entries += len(dirnames) + len(filenames)
        if entries > MAX_ENTRIES:
            raise SubmissionError(f"{where}: over {MAX_ENTRIES} files and folders (fix: leave out what the "
                                  "controller does not need)")
        for d in dirnames:
            if os.path.islink(os.path.join(dirpath, d)):
                raise SubmissionError(f"{shown(os.path.relpath(os.path.join(dirpath, d), top))}: symlinks are "
                                      "not allowed (fix: copy the files in)")
        dirnames[:] = sorted(d for d in dirnames if os.fsdecode(d) not in SKIPPED_DIRS)
        for fn in sorted(filenames):
            full = os.path.join(dirpath, fn)
            raw = os.path.relpath(full, top).replace(os.sep.encode(), b"/")
            if fn.endswith(b".pyc"):
                continue
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                raise SubmissionError(f"{shown(raw)}: symlinks are not allowed (fix: copy the file in)")
            if not stat.S_ISREG(st.st_mode):
                raise SubmissionError(f"{shown(raw)}: only regular files are allowed (a device, socket or pipe)")
            rel = clean_path(raw)
            if st.st_size > MAX_FILE_BYTES:
                raise SubmissionError(f"{shown(raw)}: {st.st_size} bytes, over the {MAX_FILE_BYTES >> 20} MB limit "
                                      "per file")
            try:
                fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                with os.fdopen(fd, "rb") as f:
                    data = f.read(MAX_FILE_BYTES + 1)
            except OSError as exc:
                raise SubmissionError(f"{shown(raw)}: cannot read it ({exc.strerror})") from None
            if len(data) > MAX_FILE_BYTES:
                raise SubmissionError(f"{shown(raw)}: over the {MAX_FILE_BYTES >> 20} MB limit per file")
            out.add(rel, data)
    return out.done()


def _zip_directory_size(src: Path) -> int:
    """The size of a zip's central directory (0 if no end record is found: zipfile then says why),
    read before zipfile parses every entry of it into memory."""
    size = src.stat().st_size
    with open(src, "rb") as f:
        f.seek(max(0, size - (65535 + 22)))
        tail = f.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return 0
        _sig, _disk, _cd_disk, _n_here, entries, cd_size, _cd_at, _comment = struct.unpack("<4s4H2IH",
                                                                                       tail[at:at + 22])
        if entries == 0xFFFF or cd_size == 0xFFFFFFFF:  # zip64: the sizes are in the zip64 end record
            loc = tail[at - 20:at] if at >= 20 else b""
            if loc[:4] != b"PK\x06\x07":
                return cd_size
            f.seek(struct.unpack("<4sIQI", loc)[2])
            rec = f.read(56)
            if rec[:4] != b"PK\x06\x06" or len(rec) < 56:
                return cd_size
            cd_size = struct.unpack("<4sQ2H2I4Q", rec)[8]
        return cd_size


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    """A member's name as the bytes in the archive (zipfile decodes names without the UTF-8 flag as cp437)."""
    return info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "surrogateescape")


def _read_zip(src: Path) -> dict[str, bytes]:
    where = shown(str(src))
    if src.stat().st_size > MAX_TOTAL_BYTES + MAX_ZIP_DIRECTORY:
        raise SubmissionError(f"{where}: over {MAX_TOTAL_BYTES >> 20} MB (fix: leave out what the controller "
                              "does not need)")
    if _zip_directory_size(src) > MAX_ZIP_DIRECTORY:
        raise SubmissionError(f"{where}: its list of members is over {MAX_ZIP_DIRECTORY >> 10} KB, far more than "
                              f"{MAX_ENTRIES} entries need (refused unread)")
    try:
        z = zipfile.ZipFile(src)
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{where}: a member's name is marked UTF-8 but is not ({exc.reason} at byte "
                              f"{exc.start}) (fix: rename it and zip again)") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, struct.error):
        raise SubmissionError(f"{where}: not a readable zip file (fix: zip the agent folder again)") from None
    out = _Files(where)
    with z:
        infos = z.infolist()
        if len(infos) > MAX_ENTRIES:
            raise SubmissionError(f"{where}: {len(infos)} entries, over the limit of {MAX_ENTRIES} files and folders")
        declared = sum(i.file_size for i in infos)
        if declared > MAX_TOTAL_BYTES:
            raise SubmissionError(f"{where}: inflates to {declared >> 20} MB, over the {MAX_TOTAL_BYTES >> 20} MB "
                                  "limit (refused as a possible zip bomb)")
        for info in infos:
            raw = _raw_name(info)
            mode = (info.external_attr >> 16) & 0xFFFF
            if stat.S_ISLNK(mode):
                raise SubmissionError(f"{shown(raw)}: symlinks are not allowed (fix: zip the files themselves)")
            rel = clean_path(raw)
            if info.is_dir() or SKIPPED_DIRS.intersection(PurePosixPath(rel).parts):
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # no type bits: a plain file (Windows tools)
                raise SubmissionError(f"{shown(raw)}: only regular files are allowed")
            if info.file_size > MAX_FILE_BYTES:
                raise SubmissionError(f"{shown(raw)}: {info.file_size} bytes, over the {MAX_FILE_BYTES >> 20} MB "
                                      "limit")
            if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
                raise SubmissionError(f"{shown(raw)}: compressed {info.file_size // max(info.compress_size, 1)}:1, "
                                      "refused as a possible zip bomb")
            # never trust the header: read at most one byte more than the limit
            try:
                with z.open(info) as f:
                    data = f.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError,
                    OSError, struct.error) as exc:
                raise SubmissionError(f"{shown(raw)}: unreadable archive member ({exc})") from None
            if len(data) > MAX_FILE_BYTES or len(data) != info.file_size:
                raise SubmissionError(f"{shown(raw)}: size does not match the archive header (refused)")
            if rel.endswith(".pyc"):
                continue
            out.add(rel, data)
    files = out.done()
    # a zip of one top folder: use the folder's content
    tops = {PurePosixPath(k).parts[0] for k in files}
    if len(tops) == 1 and all(len(PurePosixPath(k).parts) > 1 for k in files):
        top = tops.pop()
        files = {k[len(top) + 1:]: v for k, v in files.items()}
    return files


def read_submission(src: str | Path) -> dict[str, bytes]:
    """The files of a submission (stored path -> bytes), checked; SubmissionError if refused."""
    from arena.controllers.host import brick_program

    p = Path(src)
    where = shown(str(src))
    if p.is_symlink():
        raise SubmissionError(f"{where}: symlinks are not allowed (fix: submit the folder or file itself)")
    try:
        st = p.stat()
    except FileNotFoundError:
        raise SubmissionError(f"{where}: no such file or folder (fix: check the path)") from None
    except OSError as exc:
        raise SubmissionError(f"{where}: cannot read it ({exc.strerror})") from None
    suffix = p.suffix.lower()
    if stat.S_ISDIR(st.st_mode):
        files = _read_folder(p)
    elif stat.S_ISREG(st.st_mode) and suffix == ".zip":
        files = _read_zip(p)
    elif stat.S_ISREG(st.st_mode) and suffix == ".py":
        if st.st_size > MAX_FILE_BYTES:
            raise SubmissionError(f"{where}: over the {MAX_FILE_BYTES >> 20} MB limit")
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise SubmissionError(f"{where}: cannot read it ({exc.strerror})") from None
        _check_source(p.name, data)
        files = {"main.py" if brick_program(str(p)) else "controller.py": data}
    else:
        raise SubmissionError(f"{where}: not an agent (fix: submit an agent folder, a controller .py file or a .zip "
                              "of a folder)")
    if not files:
        raise SubmissionError(f"{where}: the submission is empty (fix: put controller.py in it)")
    entry = next((e for e in ENTRY_POINTS if e in files), None)
    if entry is None:
        raise SubmissionError(f"{where}: no controller.py (or a brick program's main.py) at the top of the "
                              "submission (fix: put it beside agent.toml, not in a sub-folder)")
    if not files[entry].strip():
        raise SubmissionError(f"{where}: {entry} is empty (fix: write the controller in it)")
    for rel, data in files.items():
        _check_content(rel, data)
        if rel.endswith(".py"):
            _check_source(rel, data)
    return files


def _stored_files(folder: Path) -> dict[str, bytes]:
    return {f.relative_to(folder).as_posix(): f.read_bytes() for f in folder.rglob("*") if f.is_file()}


def store_copy(files: dict[str, bytes], root: Path, name: str) -> tuple[Path, str, bool]:
    """Write the files under root/<hash>/<name>/ read-only (atomically); returns (path, hash, new)."""
    from arena.content import agent_hash

    tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=root))
    try:
        folder = tmp / name
        for rel, data in files.items():
            f = folder / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(data)
        h = agent_hash(folder)
        final = root / h
        if final.exists():
            have = final / name if (final / name).is_dir() else next(final.iterdir())
            if _stored_files(have) != _stored_files(folder):  # the hash is a digest: never trust it blindly
                raise SubmissionError(f"another submission with different files is stored under the same content "
                                      f"hash {h} (fix: report this to the arena's maintainers)")
            return have, h, False
        for d, _dirs, fns in os.walk(tmp):
            for fn in fns:
                os.chmod(Path(d) / fn, 0o444)
        for d, _dirs, _fns in os.walk(tmp, topdown=False):
            os.chmod(d, 0o555)
        os.chmod(tmp, 0o755)
        tmp.rename(final)
        os.chmod(final, 0o555)
        return final / name, h, True
    finally:
        if tmp.exists():
            for d, _dirs, _fns in os.walk(tmp):
                os.chmod(d, 0o755)
            shutil.rmtree(tmp, ignore_errors=True)


def submit(src: str | Path, name: str, owner: str, root: Path) -> Submission:
    """Check and store a submission as it is (arena.compete.admission.admit also chooses its worlds)."""
    check_name(name)
    files = read_submission(src)
    root.mkdir(parents=True, exist_ok=True)
    path, h, new = store_copy(files, root, name)
    return Submission(name, owner, h, path, new)

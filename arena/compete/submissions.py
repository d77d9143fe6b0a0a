"""Submissions: check an agent someone hands in and keep an immutable copy of it.

Accepted: an agent folder (controller.py, optional agent.toml and data files), a single .py file,
or a .zip of a folder. Refused, each with the reason: symlinks or other special files, absolute
or ../ paths, too many or too large files, archives that inflate too far (zip bombs), pickles
(.pkl/.pt/... or pickle bytes, numpy object arrays) and anything without a controller.
The copy lives under <store dir>/submissions/<content hash>/<name>/, read-only; the same content
submitted twice is stored once. validate() then plays one episode with the stored copy, records it
as accepted or rejected, and schedules its matches.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from arena.compete import tournament as T
from arena.controllers.protocol import OK
from arena.errors import ArenaError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_FILES = 200
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_ZIP_RATIO = 100  # uncompressed / compressed, per member
PICKLE_SUFFIXES = {".pkl", ".pickle", ".pt", ".pth", ".joblib", ".ckpt", ".sav", ".dill"}


class SubmissionError(ArenaError):
    pass


@dataclass
class Submission:
    name: str
    owner: str
    agent_hash: str
    path: Path
    new: bool  # False when this exact content was stored before


def _check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise SubmissionError(f"name {name!r}: use 1-40 characters a-z, 0-9, _ or -, starting with a letter or digit")


def _check_rel(rel: str) -> PurePosixPath:
    p = PurePosixPath(rel.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or not p.parts or any(part.startswith("~") for part in p.parts[:1]):
        raise SubmissionError(f"{rel!r}: absolute or ../ paths are not allowed")
    if any(part in ("", ".") for part in p.parts):
        raise SubmissionError(f"{rel!r}: odd path")
    return p


def _check_content(rel: str, data: bytes) -> None:
    """Pickles are refused whatever their name: they run code when loaded."""
    suffix = PurePosixPath(rel).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raise SubmissionError(f"{rel}: pickle files ({suffix}) are refused; save weights as .npz or .json")
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        raise SubmissionError(f"{rel}: looks like a pickle (protocol {data[1]}); save weights as .npz or .json")
    if data[:6] == b"\x93NUMPY" and b"'descr': '|O'" in data[:256]:
        raise SubmissionError(f"{rel}: numpy object array (a pickle inside); use numeric arrays")
    if data[:4] == b"PK\x03\x04":  # a zip inside (.npz, torch checkpoints): look at its members
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for info in z.infolist():
                    if info.filename.endswith((".pkl", "data.pkl")) or info.file_size > MAX_FILE_BYTES:
                        raise SubmissionError(f"{rel}: contains {info.filename} (a pickle or an oversized member)")
                    if info.filename.endswith(".npy"):
                        with z.open(info) as f:
                            _check_content(f"{rel}:{info.filename}", f.read(256))
        except zipfile.BadZipFile:
            raise SubmissionError(f"{rel}: a broken zip file") from None


def _read_folder(src: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for d in dirnames:
            if (Path(dirpath) / d).is_symlink():
                raise SubmissionError(f"{Path(dirpath, d).relative_to(src)}: symlinks are not allowed")
        for fn in sorted(filenames):
            f = Path(dirpath) / fn
            rel = f.relative_to(src).as_posix()
            st = os.lstat(f)
            if stat.S_ISLNK(st.st_mode):
                raise SubmissionError(f"{rel}: symlinks are not allowed")
            if not stat.S_ISREG(st.st_mode):
                raise SubmissionError(f"{rel}: only regular files are allowed")
            if fn.endswith(".pyc"):
                continue
            if st.st_size > MAX_FILE_BYTES:
                raise SubmissionError(f"{rel}: {st.st_size} bytes, over the {MAX_FILE_BYTES >> 20} MB limit per file")
            total += st.st_size
            if total > MAX_TOTAL_BYTES or len(files) >= MAX_FILES:
                raise SubmissionError(f"submission is over {MAX_TOTAL_BYTES >> 20} MB or {MAX_FILES} files")
            files[_check_rel(rel).as_posix()] = f.read_bytes()
    return files


def _read_zip(src: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    try:
        z = zipfile.ZipFile(src)
    except zipfile.BadZipFile:
        raise SubmissionError(f"{src}: not a zip file") from None
    with z:
        infos = z.infolist()
        if len(infos) > MAX_FILES * 2:
            raise SubmissionError(f"{src}: {len(infos)} entries, over the limit of {MAX_FILES} files")
        for info in infos:
            name = info.filename
            mode = (info.external_attr >> 16) & 0xFFFF
            if stat.S_ISLNK(mode):
                raise SubmissionError(f"{name}: symlinks are not allowed")
            rel = _check_rel(name)
            if info.is_dir():
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # no type bits: a plain file (Windows tools)
                raise SubmissionError(f"{name}: only regular files are allowed")
            if info.file_size > MAX_FILE_BYTES:
                raise SubmissionError(f"{name}: {info.file_size} bytes, over the {MAX_FILE_BYTES >> 20} MB limit")
            if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
                raise SubmissionError(f"{name}: compressed {info.file_size // max(info.compress_size, 1)}:1, "
                                      "refused as a possible zip bomb")
            # never trust the header: read at most one byte more than the limit
            try:
                with z.open(info) as f:
                    data = f.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                raise SubmissionError(f"{name}: unreadable archive member ({exc})") from None
            if len(data) > MAX_FILE_BYTES or len(data) != info.file_size:
                raise SubmissionError(f"{name}: size does not match the archive header (refused)")
            total += len(data)
            if total > MAX_TOTAL_BYTES or len(files) >= MAX_FILES:
                raise SubmissionError(f"submission is over {MAX_TOTAL_BYTES >> 20} MB or {MAX_FILES} files")
            if rel.name.endswith(".pyc") or "__pycache__" in rel.parts:
                continue
            files[rel.as_posix()] = data
    # a zip of one top folder: use the folder's content
    tops = {PurePosixPath(k).parts[0] for k in files}
    if len(tops) == 1 and all(len(PurePosixPath(k).parts) > 1 for k in files):
        top = tops.pop()
        files = {k[len(top) + 1:]: v for k, v in files.items()}
    return files


def read_submission(src: str | Path) -> dict[str, bytes]:
    """The files of a submission (relative posix path -> bytes), checked; SubmissionError if refused."""
    p = Path(src)
    if p.is_symlink():
        raise SubmissionError(f"{src}: symlinks are not allowed")
    if p.is_dir():
        files = _read_folder(p)
    elif p.is_file() and p.suffix == ".zip":
        files = _read_zip(p)
    elif p.is_file() and p.suffix == ".py":
        if p.stat().st_size > MAX_FILE_BYTES:
            raise SubmissionError(f"{src}: over the {MAX_FILE_BYTES >> 20} MB limit")
        files = {"controller.py": p.read_bytes()}
    elif p.exists():
        raise SubmissionError(f"{src}: submit an agent folder, a controller .py file or a .zip of a folder")
    else:
        raise SubmissionError(f"{src}: no such file or folder")
    if "controller.py" not in files:
        raise SubmissionError(f"{src}: no controller.py at the top of the submission")
    for rel, data in files.items():
        _check_content(rel, data)
    try:
        files["controller.py"].decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(f"{src}: controller.py is not UTF-8 text") from None
    return files


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
            return final / name if (final / name).is_dir() else next(final.iterdir()), h, False
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
    """Check and store a submission (no episode yet: validate() plays one)."""
    _check_name(name)
    files = read_submission(src)
    root.mkdir(parents=True, exist_ok=True)
    path, h, new = store_copy(files, root, name)
    return Submission(name, owner, h, path, new)


# -- validation --------------------------------------------------------------------------------------
@dataclass
class Validation:
    """How a stored submission's validation episode went and, when accepted, its scheduled matches."""
    world: str  # id of the world the episode ran on (seed 0)
    accepted: bool
    reason: str = ""  # why it was rejected: "STATUS: reason" of the failed run
    output: str = ""  # the failed controller's output (capped)
    total: float = 0.0  # the episode's points when accepted
    worlds: list = field(default_factory=list)  # tournament.World entries it plays on
    agents: list = field(default_factory=list)  # the tournament's roster, the submission included
    jobs: list = field(default_factory=list)  # every match of the submission in the schedule
    pending: list = field(default_factory=list)  # those not stored yet


def validate(sub: Submission, store, world: str | None = None, seeds: int = 3,
             on_episode: Callable[[str], None] | None = None) -> Validation:
    """Play one episode (seed 0) with the stored copy on the first world it targets (the one given,
    else the bundled worlds), record the submission as accepted or rejected in the store and
    schedule its matches over `seeds` seeds. on_episode(world id) is called before the episode.
    ArenaError when it targets none of the worlds (recorded as rejected) or the arena itself fails
    (nothing recorded)."""
    agent = T.load_agent(sub.path, sub.name)
    worlds = T.select_worlds([world] if world else [])
    mine = [w for w in worlds if T.targets(agent, w)]
    if not mine:
        store.add_submission(sub.agent_hash, sub.name, sub.owner, str(sub.path), "rejected", "targets no world")
        raise ArenaError(f"{sub.name} targets none of these worlds: {', '.join(w.id for w in worlds)} "
                         "(fix: list world ids in agent.toml worlds = [...])")
    w = mine[0]
    if on_episode:
        on_episode(w.id)
    job = T.schedule([w], [agent], [0])[0] if w.players == 1 else T.Job(
        "validation", w.path, w.id, w.hash, 0, (T.player_entry(w, agent),) * w.players, record=False)
    try:
        out = T.execute(job)
    except Exception as exc:  # noqa: BLE001 - an arena failure: nothing is held against the submission
        raise ArenaError(f"validation could not run (arena failure, not your agent): {exc}") from None
    bad = [r for r in out.results if r.status != OK]
    if bad:
        reason = f"{bad[0].status}: {bad[0].reason}"
        store.add_submission(sub.agent_hash, sub.name, sub.owner, str(sub.path), "rejected", reason)
        return Validation(w.id, False, reason, bad[0].output)
    if w.players == 1:
        store.add_match(out.results, out.replay, w.hash)
    store.add_submission(sub.agent_hash, sub.name, sub.owner, str(sub.path), "accepted", "")
    agents = T.roster(store)
    jobs = [j for j in T.schedule(worlds, agents, range(seeds))
            if any(p["agent_hash"] == sub.agent_hash for p in j.players)]
    stored = store.match_ids()
    pending = [j for j in jobs if j.match_id not in stored]
    return Validation(w.id, True, total=out.results[0].score["total"], worlds=worlds, agents=agents, jobs=jobs,
                      pending=pending)

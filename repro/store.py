"""The run store: self-describing run folders keyed by a hash of their spec.

A run is complete only when its folder sits at `<root>/<name>` with a
`MANIFEST.json` listing every file with its size and SHA-256.  Runs are built
in `<root>/.work/<name>` under a per-run file lock and moved into place with one
atomic `rename`, so a run killed half-way never looks complete, and two
processes (pytest-xdist workers, cluster jobs) asking for the same run compute
it once: the second waits for the lock, then finds the finished run.  An interrupted
attempt leaves its work folder behind; the next one keeps its training checkpoints
and resumes from them (`repro.checkpoints`).  The ranks
of one multi-GPU launch compute a run together (`repro.distributed`).  A damaged
entry is moved aside to `<root>/.corrupt/` (nothing is deleted), reported, and
recomputed.  `events` lists what this process did with each run (computed, reused,
damaged) for the caller to report.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from repro import distributed
from repro.errors import ReproError
from repro.spec import RunSpec

log = logging.getLogger(__name__)

MANIFEST = "MANIFEST.json"
SPEC_FILE = "spec.json"
# Files above this size are checked by size only when a run is opened (checkpoints).
HASH_LIMIT = 64 * 2**20
# An interrupted attempt's Trainer checkpoints in its work folder, and those not whole (repro.checkpoints)
CHECKPOINTS, SET_ASIDE = "checkpoints", "checkpoints-set-aside"


class CorruptRunError(ReproError, RuntimeError):
    """A stored run whose files do not match its manifest."""


class MissingRunError(ReproError, LookupError):
    """A run that is not in the store and may not be computed."""


class StorePathError(ReproError, ValueError):
    """A store location that cannot hold runs (a file, or a directory this process may not write)."""


def _not_a_file(root) -> Path:
    """`root` as a Path; StorePathError when it is a file (a store is a directory)."""
    root = Path(root)
    if root.is_symlink() and not root.exists():
        raise StorePathError(f"run store {root} is a symbolic link that leads nowhere (a loop, or its target is "
                             "missing); point the link at a directory, or give --store another path")
    if root.exists() and not root.is_dir():
        raise StorePathError(f"run store {root} is a file, not a directory; give --store a directory "
                             "(an existing store or a new path)")
    return root


def check_store_path(root: str | os.PathLike) -> Path:
    """`root` as a Path once it is a store directory this process can write (created if absent);
    StorePathError naming the problem and the fix otherwise."""
    root = _not_a_file(root)
    try:
        for sub in (".work", ".locks", ".corrupt"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root / ".locks"):
            pass
    except OSError as err:
        raise StorePathError(f"run store {root} is not writable ({err.strerror}); runs and their locks are "
                             "written there: fix its permissions or give --store a writable directory") from None
    return root


def _interrupted_attempt(work: Path, spec: RunSpec) -> list[str]:
    """Clear the work folder of an interrupted attempt at `spec` down to its training checkpoints
    (and those set aside); the names kept, [] when there are none or the folder is another spec's."""
    try:
        same = json.loads((work / SPEC_FILE).read_text())["key"] == spec.key
    except (OSError, ValueError, KeyError, TypeError):
        same = False
    keep = {CHECKPOINTS, SET_ASIDE}
    if not same or not any((work / name).is_dir() for name in keep):
        return []
    for path in work.iterdir():
        if path.name not in keep:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return sorted(name for name in keep if (work / name).is_dir())


@dataclass(frozen=True)
class Run:
    """A finished run in the store."""

    spec: RunSpec
    path: Path

    def read_json(self, name: str) -> dict:
        """A JSON file of the run, e.g. `metrics.json`."""
        return json.loads((self.path / name).read_text())

    @property
    def model_path(self) -> Path:
        """The checkpoint this run hands on (intermediate and pretrained runs)."""
        return self.path / "model"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path) -> None:
    """Record every file of `folder` with size and hash; written last, atomically."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        files[path.relative_to(folder).as_posix()] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps({"files": files}, indent=1))
    os.replace(tmp, folder / MANIFEST)


# folder -> the stat signature of its files when this process last verified it (`verify`)
_VERIFIED: dict[str, tuple] = {}
_VERIFIED_MAX = 20_000
REHASH_BELOW = 2**20  # smaller files are hashed at every verification


def verify(folder: Path, *, full: bool = False) -> None:
    """Raise CorruptRunError unless `folder` matches its manifest.

    Sizes are always checked, hashes of files up to HASH_LIMIT bytes (all files with `full`).  In a folder
    this process verified already, files of REHASH_BELOW bytes or more are hashed again only when a file's
    size, modification time or inode changed since (a judge reads each run of every claim part, and a run's
    parents, many times: XLM-R's tokenizer and the models are tens of megabytes).
    """
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise CorruptRunError(f"{folder} has no {MANIFEST}: the run never finished")
    try:
        files = json.loads(manifest.read_text())["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise CorruptRunError(f"{manifest} is unreadable ({err})") from err
    signature = []
    for rel, meta in files.items():
        path = folder / rel
        if not path.is_file():
            raise CorruptRunError(f"{folder}: {rel} is listed in {MANIFEST} but missing")
        stat = path.stat()
        if stat.st_size != meta["size"]:
            raise CorruptRunError(f"{folder}: {rel} has {stat.st_size} bytes, manifest says {meta['size']}")
        signature.append((rel, stat.st_size, stat.st_mtime_ns, stat.st_ino, meta["sha256"]))
    key = str(folder.resolve())
    seen = not full and _VERIFIED.get(key) == tuple(signature)
    for rel, meta in files.items():
        if seen and meta["size"] >= REHASH_BELOW:
            continue
        if (full or meta["size"] <= HASH_LIMIT) and _sha256(folder / rel) != meta["sha256"]:
            _VERIFIED.pop(key, None)
            raise CorruptRunError(f"{folder}: {rel} does not match its recorded SHA-256")
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = tuple(signature)


def _not_a_dangling_link(path: Path) -> None:
    """CorruptRunError when the run folder `path` is a symbolic link that leads nowhere (a loop, or a
    missing target): a damaged entry, moved aside and recomputed, not a missing one."""
    if path.is_symlink() and not path.exists():
        raise CorruptRunError(f"{path} is a symbolic link that leads nowhere (a loop, or its target is missing)")


@dataclass(frozen=True)
class StoredRun:
    """A finished run read by its folder name, for readers that hold no RunSpec (the report):
    `spec` is the stored description (`RunSpec.to_dict`, the parent as its key)."""

    name: str
    path: Path
    key: str
    spec: dict

    def read_json(self, name: str, default=None):
        """A JSON file of the run (e.g. `metrics.json`), `default` when the run has no such file."""
        path = self.path / name
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default


class RunStore:
    """A directory of runs; `ensure(spec, compute)` returns a finished run, computing it at most once.

    `create=False` opens it for reading only: nothing is created, and a store that does not exist
    holds no runs (`repro plan`, `repro report`, judging with --no-compute).
    """

    def __init__(self, root: str | os.PathLike, *, create: bool = True):
        self.root = check_store_path(root) if create else _not_a_file(root)
        self.writable = create
        # {"event": "computed" | "reused" | "damaged", "run": name, ...}; see `drain_events`
        self.events: list[dict] = []

    def drain_events(self) -> list[dict]:
        """The events since the last call: a run computed, reused from the store, or found damaged
        (with `moved_to`, where its folder went, and `reason`) before it was recomputed."""
        events, self.events = self.events, []
        return events

    def _note(self, event: str, spec: RunSpec, **details) -> None:
        self.events.append({"event": event, "run": spec.dirname, **details})

    def path(self, spec: RunSpec) -> Path:
        """Where the finished run of `spec` lives."""
        return self.root / spec.dirname

    def get(self, spec: RunSpec) -> Run | None:
        """The finished run of `spec`, None when absent; CorruptRunError when damaged."""
        path = self.path(spec)
        if not path.exists() and not path.is_symlink():
            return None
        _not_a_dangling_link(path)
        verify(path)
        stored = json.loads((path / SPEC_FILE).read_text())
        if stored.get("key") != spec.key:
            raise CorruptRunError(f"{path}/{SPEC_FILE} records key {stored.get('key')}, expected {spec.key}")
        return Run(spec, path)

    def ensure(self, spec: RunSpec, compute: Callable[[Path], None] | None) -> Run:
        """The finished run of `spec`, computed by `compute(workdir)` if it is missing.

        `compute` writes the run's files into an empty `workdir`; the store adds the
        spec and the manifest and publishes the folder.  With `compute=None` a
        missing run raises MissingRunError.
        """
        if compute is not None and not self.writable:
            raise ValueError(f"run store {self.root} was opened for reading only; open it with create=True "
                             "to compute runs")
        if compute is not None and distributed.state().num_processes > 1:
            return self._ensure_together(spec, compute)
        try:
            run = self.get(spec)
        except CorruptRunError:
            run = None  # moved aside below, under the lock
        if run is not None:
            self._note("reused", spec)
            return run
        if compute is None:
            self.get(spec)  # a damaged run is reported as such
            raise MissingRunError(f"run {spec.dirname} is not in the store {self.root}; "
                                  "compute it (drop --no-compute) or point --store at a store that has it")
        with self._lock(spec):
            run = self._get_or_quarantine(spec)  # another process may have finished it meanwhile
            if run is not None:
                self._note("reused", spec)
                return run
            work = self._fresh_workdir(spec)
            compute(work)
            self._publish(spec, work)
        self._note("computed", spec)
        return Run(spec, self.path(spec))

    def _ensure_together(self, spec: RunSpec, compute: Callable[[Path], None]) -> Run:
        """`ensure` for every rank of a launcher: all compute, rank 0 locks, writes and publishes."""
        from accelerate.utils import broadcast_object_list

        state = distributed.state()  # built, as accelerate's helpers need, before broadcast_object_list
        lock = self._lock(spec)
        work = None
        if state.is_main_process:
            lock.acquire()
            work = None if self._get_or_quarantine(spec) is not None else self._fresh_workdir(spec)
        (work,) = broadcast_object_list([work])  # rank 0's folder, or None: the run is stored
        try:
            if work is not None:
                compute(work)
                state.wait_for_everyone()  # every rank is done with the work folder
                if state.is_main_process:
                    self._publish(spec, work)
        finally:
            if state.is_main_process:
                lock.release()
        state.wait_for_everyone()  # the run is published before any rank reads it
        self._note("reused" if work is None else "computed", spec)
        return Run(spec, self.path(spec))

    def busy(self, spec: RunSpec) -> bool:
        """True while another process holds `spec`'s lock, i.e. is computing it (a look, nothing waits)."""
        from filelock import Timeout
        if not (self.root / ".locks" / f"{spec.dirname}.lock").exists():
            return False
        lock = self._lock(spec)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        lock.release()
        return False

    def _lock(self, spec: RunSpec) -> FileLock:
        return FileLock(str(self.root / ".locks" / f"{spec.dirname}.lock"))

    def _fresh_workdir(self, spec: RunSpec) -> Path:
        """`.work/<name>` holding the spec, and the Trainer checkpoints of an interrupted attempt at
        the same spec (`repro.checkpoints` resumes from them); call while holding the run's lock."""
        work = self.root / ".work" / spec.dirname
        if work.exists():
            kept = _interrupted_attempt(work, spec)
            if kept:
                log.warning("resuming the interrupted run in %s (keeping %s)", work, ", ".join(kept))
            else:
                log.warning("discarding the unfinished work of an interrupted run in %s (no checkpoint)", work)
                shutil.rmtree(work)
        work.mkdir(parents=True, exist_ok=True)
        (work / SPEC_FILE).write_text(json.dumps({"key": spec.key, "spec": spec.to_dict()}, indent=1))
        return work

    def _publish(self, spec: RunSpec, work: Path) -> None:
        # training checkpoints are not part of a finished run; damaged ones go to .corrupt/
        shutil.rmtree(work / CHECKPOINTS, ignore_errors=True)
        if (work / SET_ASIDE).is_dir():
            os.rename(work / SET_ASIDE,
                      self.root / ".corrupt" / f"{spec.dirname}-checkpoints-{time.strftime('%Y%m%d-%H%M%S')}")
        write_manifest(work)
        os.rename(work, self.path(spec))

    def _get_or_quarantine(self, spec: RunSpec) -> Run | None:
        """`get`, moving a damaged run aside; call only while holding the run's lock."""
        try:
            return self.get(spec)
        except CorruptRunError as err:
            dest = self.root / ".corrupt" / f"{spec.dirname}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
            log.warning("corrupt run moved to %s and recomputed: %s", dest, err)
            os.rename(self.path(spec), dest)
            self._note("damaged", spec, moved_to=str(dest), reason=str(err))
            return None

    def runs(self) -> list[Path]:
        """Folders of the finished runs (not checked)."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def read(self, name: str) -> StoredRun:
        """The finished run in folder `name`, checked against its manifest; MissingRunError when the
        store has no such folder, CorruptRunError when it is damaged."""
        path = self.root / name
        if not name.startswith(".") and "/" not in name:
            _not_a_dangling_link(path)
        if name.startswith(".") or "/" in name or not path.is_dir():
            raise MissingRunError(f"run {name} is not in the store {self.root}")
        verify(path)
        try:
            stored = json.loads((path / SPEC_FILE).read_text(encoding="utf-8"))
            key, spec = stored["key"], stored["spec"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
            raise CorruptRunError(f"{path}/{SPEC_FILE} is unreadable ({err})") from None
        if not name.endswith(key[:16]):
            raise CorruptRunError(f"{path}/{SPEC_FILE} records key {key}, which is not the folder's")
        return StoredRun(name, path, key, spec)

    def read_key(self, key: str) -> StoredRun | None:
        """The finished run whose spec has `key` (its folder ends in the key's first 16 digits), None
        when absent; CorruptRunError when damaged."""
        for path in self.runs():
            if path.name.endswith(f"-{key[:16]}"):
                run = self.read(path.name)
                if run.key == key:
                    return run
        return None

"""Content fingerprints of the local data files a run reads, for the `data` field of its key.

A run's key holds its data: where a run reads local files (a `--data-dir`, or local copies on the
hub profiles), its `data` field is the source's identity plus a SHA-256 over the sorted
(path inside the data directory, content SHA-256) of exactly those files, so changed data gives
new runs and the same data under another directory gives the same keys.  A file that is absent
enters as "missing": such a run can never be stored (its data cannot be read).

Hashing is done once per file: the digest is cached by (absolute path, size, mtime) in this
process and in a small JSON file (`$REPRO_HASH_CACHE`, default
`~/.cache/xstilts-repro/file-sha256.json`; an empty value keeps the cache in memory only), so a
large data directory is not re-read by every job.  The cache is only an optimisation: an
unreadable or unwritable cache file is ignored.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

CACHE_ENV = "REPRO_HASH_CACHE"
MISSING = "missing"
_MEMORY: dict[str, str] = {}
_LOADED: set[str] = set()  # cache files already merged into memory


def cache_file() -> Path | None:
    """The on-disk cache of file digests, None when `$REPRO_HASH_CACHE` is set empty."""
    given = os.environ.get(CACHE_ENV)
    if given is not None:
        return Path(given) if given else None
    home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(home) / "xstilts-repro" / "file-sha256.json"


def _entry(path: Path, stat: os.stat_result) -> str:
    return f"{path}\t{stat.st_size}\t{stat.st_mtime_ns}"


def _load(cache: Path | None) -> None:
    if cache is None or str(cache) in _LOADED:
        return
    _LOADED.add(str(cache))
    try:
        stored = json.loads(cache.read_text(encoding="utf-8"))
        _MEMORY.update({k: v for k, v in stored.items() if isinstance(k, str) and isinstance(v, str)})
    except (OSError, ValueError, AttributeError):
        pass  # no cache yet, or an unreadable one: hash again


def _save(cache: Path | None) -> None:
    if cache is None:
        return
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=cache.parent, delete=False, suffix=".tmp",
                                         encoding="utf-8") as fh:
            json.dump(_MEMORY, fh)
        os.replace(fh.name, cache)
    except OSError:
        pass  # a read-only home: the digests stay in memory


def file_sha256(path: Path, *, save: bool = True) -> str | None:
    """The SHA-256 of `path`'s content (cached by path, size and mtime); None when it is no file.
    `save=False` leaves writing the cache file to the caller (`file_digests` writes it once)."""
    path = Path(os.path.abspath(path))
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    cache = cache_file()
    _load(cache)
    key = _entry(path, stat)
    if key not in _MEMORY:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(2**20), b""):
                digest.update(block)
        _MEMORY[key] = digest.hexdigest()
        if save:
            _save(cache)
    return _MEMORY[key]


def file_digests(root: Path | None, files) -> dict[str, str]:
    """{path inside `root`: its content SHA-256, or "missing"} for the relative paths `files`."""
    before = len(_MEMORY)
    out = {rel: (file_sha256(root / rel, save=False) if root is not None else None) or MISSING
           for rel in sorted(set(files))}
    if len(_MEMORY) != before:
        _save(cache_file())
    return out


def fingerprint(digests: dict[str, str]) -> str:
    """One SHA-256 over the sorted (relative path, content digest) pairs."""
    blob = json.dumps(sorted(digests.items()), separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()

"""Snapshots of the embedded backend, so a start does not replay every write ever made.

A snapshot is one JSON document in ``<data-dir>/snapshot.json``:

* ``seq``: the journal sequence number it covers -- every journaled write up to and including
  ``seq`` is in it, none after;
* ``tables``: every item of every table (event store and views), in DynamoDB JSON, and
  ``counts`` of them; ``definitions``: the tables' CreateTable arguments at the time;
* ``pending``: per table, the change records that the stream consumers had not finished when
  it was taken, to be put back at the head of the new process's stream;
* ``fingerprint``: of the code that made the views (the stream-fed functions), so they are
  rebuilt from the event store when it changes (or when the views' definitions change).

It is written to a temporary file (0600, fsynced), renamed over the old one and the folder
fsynced; only then is the journal cut down to the writes after ``seq``. Whatever the moment
of a crash, snapshot and journal together hold every acknowledged write (see
``JournalingMiddleware.snapshot``). This module only reads and writes the file; taking the
state out of moto and putting it back is ``moto_state``'s job (the parent never imports moto).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_aws.files import FILE_MODE

SNAPSHOT_FILE = "snapshot.json"
FORMAT = 1
_TEMP_PREFIX = ".tmp-"


class SnapshotError(RuntimeError):
    """The snapshot cannot be used; the stack refuses to start rather than lose data."""


@dataclass
class Snapshot:
    seq: int
    fingerprint: str | None
    #: table name -> the table's CreateTable arguments when the snapshot was taken
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: table name -> items (DynamoDB JSON)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: table name -> change records not yet handled by the stream consumers
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def encode(snapshot: Snapshot, default: Callable[[Any], Any] | None = None) -> bytes:
    document = {
        "format": FORMAT,
        "seq": snapshot.seq,
        "fingerprint": snapshot.fingerprint,
        "definitions": snapshot.definitions,
        "tables": snapshot.tables,
        "pending": snapshot.pending,
        # A cheap completeness check beyond what JSON parsing gives.
        "counts": {name: len(items) for name, items in snapshot.tables.items()},
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=default).encode()


def decode(data: bytes, path: Path | str = SNAPSHOT_FILE) -> Snapshot:
    try:
        document = json.loads(data)
    except ValueError as error:
        raise SnapshotError(f"{path} is not a complete snapshot: {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        raise SnapshotError(f"{path}: unknown snapshot format {found!r}")
    try:
        tables = document["tables"]
        if {name: len(items) for name, items in tables.items()} != document["counts"]:
            raise SnapshotError(f"{path}: item counts do not match")
        return Snapshot(
            seq=int(document["seq"]),
            fingerprint=document.get("fingerprint"),
            definitions=dict(document["definitions"]),
            tables=tables,
            pending=dict(document["pending"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SnapshotError(f"{path} is not a complete snapshot: {error!r}") from error


def read(path: Path) -> Snapshot | None:
    """The snapshot at ``path``; None if there is none. Raises ``SnapshotError`` if corrupt."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return decode(data, path)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(
    path: Path, data: bytes, *, before_rename: Callable[[], None] | None = None
) -> None:
    """Replace ``path`` with ``data``: a crash leaves either the old or the new file, 0600.

    Temporary file in the same folder (O_EXCL, 0600 whatever the umask), written and fsynced,
    renamed over ``path``, and the folder fsynced so the rename itself survives a crash.
    """
    tmp = path.with_name(f"{_TEMP_PREFIX}{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
                os.fchmod(fd, FILE_MODE)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if before_rename is not None:
            before_rename()
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def remove_leftovers(folder: Path) -> list[Path]:
    """Delete temporary files a crash left behind in ``folder``; returns what was removed.

    They are never needed: until it is renamed into place, a temporary file is not part of
    the data, and a renamed one is no longer temporary.
    """
    removed = []
    for leftover in folder.glob(f"{_TEMP_PREFIX}*"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            removed.append(leftover)
    return removed


def code_fingerprint(folders: Iterable[Path], extra: Mapping[str, Any] | None = None) -> str:
    """A hash of every file under ``folders`` (caches and hidden files left out) and ``extra``.

    The views in a snapshot were made by this code; when it changes, they are rebuilt.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps(extra or {}, sort_keys=True, default=str).encode())
    for folder in sorted({Path(f).resolve() for f in folders}):
        digest.update(b"\0folder\0" + str(folder).encode())
        if not folder.is_dir():
            continue
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(
                d
                for d in dirs
                if not d.startswith(".") and d != "__pycache__" and not d.endswith(".egg-info")
            )
            for name in sorted(files):
                if name.startswith(".") or name.endswith((".pyc", ".pyo")):
                    continue
                file = Path(root) / name
                digest.update(b"\0file\0" + str(file.relative_to(folder)).encode() + b"\0")
                with contextlib.suppress(OSError):
                    digest.update(file.read_bytes())
    return digest.hexdigest()

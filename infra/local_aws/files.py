"""Files in the data dir, readable by the owner only.

The data dir holds personal data (the journal, dead-lettered stream records) and keys, so every
folder the stack makes there is 0700 and every file 0600 -- also when an older version of the
stack left them with looser bits, which are tightened on start. Modes are set explicitly rather
than through the umask: a permissive umask (or a restrictive one that would drop the owner's
write bit) must not decide who can read the data.
"""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (0700) if missing and tighten it if it exists with looser bits.

    Parent folders are made with the default mode: they are not the stack's to restrict.
    A folder we do not own cannot be tightened, and then the stack refuses to use it.
    """
    path.mkdir(parents=True, exist_ok=True)
    _set_mode(path, DIR_MODE)
    return path


def tighten(path: Path) -> None:
    """Make an existing file 0600 (or folder 0700); a missing path is left alone."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        return  # chmod would follow the link to somewhere outside the data dir
    _set_mode(path, DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE)


def _set_mode(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) == mode:
        return
    try:
        path.chmod(mode)
    except PermissionError as error:
        raise PermissionError(
            error.errno,
            f"cannot make {path} private to its owner ({oct(mode)}); "
            "the data dir holds personal data, choose one you own",
        ) from error


def open_private_append(path: Path) -> IO[bytes]:
    """Open ``path`` for appending, created 0600; an existing file is tightened first."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        # O_CREAT's mode only applies to a new file and passes through the umask.
        if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, "ab")
    except BaseException:
        os.close(fd)
        raise


def create_private_file_once(path: Path, data: bytes) -> bytes:
    """Write ``data`` to a new 0600 file at ``path``, unless it exists; returns its content.

    Written under a temporary name, then linked into place: of two processes racing to create
    the file (two ``membership`` commands), one wins and both read the complete winner.
    """
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            os.fchmod(fd, FILE_MODE)
            out.write(data)
            out.flush()
            os.fsync(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    tighten(path)
    return path.read_bytes()

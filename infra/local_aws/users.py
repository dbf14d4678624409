"""Local staff users for the local managed login: ``<data-dir>/users.json`` (0600).

Stands in for the Cognito user pool's users. Passwords are kept only as scrypt hashes with a
salt per user. Every change takes an exclusive lock on ``users.lock`` and replaces the file
atomically (temporary file, fsync, rename), so ``membership local user add`` may run while the
stack serves sign-ins: the stack re-reads the file on each sign-in and never sees half of it.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from local_aws.files import FILE_MODE, private_dir, tighten
from local_aws.jwt_auth import check_group_name

USERS_FILE = "users.json"
LOCK_FILE = "users.lock"
#: The template's StaffUserPool PasswordPolicy (MinimumLength: 12); Cognito's maximum is 256.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit less the angle brackets
FIRST_USER_EMAIL = "staff@verein.example"
#: scrypt at n=2**14, r=8 (16 MiB, ~50 ms): OWASP's floor for interactive sign-in.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_HASH_BYTES = 32


@dataclass(frozen=True)
class LocalUser:
    email: str
    groups: tuple[str, ...]
    sub: str  # a random UUID, as Cognito gives every user, kept for the user's life
    salt: str  # base64
    password_hash: str  # base64 scrypt(password, salt)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "groups": list(self.groups)}

    @staticmethod
    def from_json(data: dict[str, Any]) -> LocalUser:
        return LocalUser(
            email=str(data["email"]),
            groups=tuple(str(g) for g in data["groups"]),
            sub=str(data["sub"]),
            salt=str(data["salt"]),
            password_hash=str(data["password_hash"]),
        )


def canonical_email(email: str) -> str:
    """The address as the user pool keys it: trimmed, domain lower-cased (the local part is
    the mailbox owner's and stays as typed, but compared case-insensitively like Cognito)."""
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain.strip(".")
        or len(email) > MAX_EMAIL_LENGTH
        or any(ch.isspace() or not ch.isprintable() for ch in email)
    ):
        raise ValueError(f"{email!r} is not an e-mail address")
    return f"{local}@{domain.lower()}"


def _key(email: str) -> str:
    return email.casefold()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH or not password.strip():
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")
    if len(set(password)) < 4:  # "aaaaaaaaaaaa" and the like
        raise ValueError("the password is too easy to guess")


def _scrypt(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=_HASH_BYTES,
    )


def new_password() -> str:
    """A random strong password (about 120 bits), easy to copy from a terminal."""
    return secrets.token_urlsafe(20)


#: Checked against when the user is unknown, so both answers take one scrypt's time.
_DUMMY_SALT = secrets.token_bytes(16)
_DUMMY_HASH = _scrypt(secrets.token_urlsafe(16), _DUMMY_SALT)


class UserStore:
    """The users in ``<data_dir>/users.json``; every call reads the file afresh."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / USERS_FILE

    def list(self) -> list[LocalUser]:
        return sorted(self._read().values(), key=lambda u: _key(u.email))

    def get(self, email: str) -> LocalUser | None:
        try:
            return self._read().get(_key(canonical_email(email)))
        except ValueError:
            return None

    def add(self, email: str, password: str, groups: Sequence[str] = ("staff",)) -> LocalUser:
        """Create a user; refused (ValueError) if the address is taken or input is bad."""
        email = canonical_email(email)
        check_password(password)
        if isinstance(groups, str) or not groups:
            raise ValueError("give the user's groups as a list of names")
        for group in groups:
            check_group_name(group)
        salt = secrets.token_bytes(16)
        user = LocalUser(
            email=email,
            groups=tuple(dict.fromkeys(groups)),
            sub=str(uuid.uuid4()),
            salt=base64.b64encode(salt).decode(),
            password_hash=base64.b64encode(_scrypt(password, salt)).decode(),
        )
        with self._locked():
            users = self._read()
            if _key(email) in users:
                raise ValueError(f"a user {email} exists already")
            users[_key(email)] = user
            self._write(users)
        return user

    def remove(self, email: str) -> bool:
        """Delete a user; False if there was none."""
        key = _key(canonical_email(email))
        with self._locked():
            users = self._read()
            if users.pop(key, None) is None:
                return False
            self._write(users)
        return True

    def authenticate(self, email: str, password: str) -> LocalUser | None:
        """The user if the password is theirs. Unknown users cost the same scrypt, and the
        hashes are compared in constant time: neither timing nor answer tells them apart."""
        user = self.get(email)
        salt = base64.b64decode(user.salt) if user else _DUMMY_SALT
        expected = base64.b64decode(user.password_hash) if user else _DUMMY_HASH
        matches = hmac.compare_digest(_scrypt(password[:MAX_PASSWORD_LENGTH], salt), expected)
        return user if matches and user is not None else None

    def _read(self) -> dict[str, LocalUser]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        users = (LocalUser.from_json(item) for item in data["users"])
        return {_key(user.email): user for user in users}

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # A separate lock file: the data file itself is replaced, so a lock on it would be
        # held on an inode the next writer no longer opens.
        lock_path = private_dir(self.data_dir) / LOCK_FILE
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            tighten(lock_path)
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _write(self, users: dict[str, LocalUser]) -> None:
        payload = {"users": [users[key].as_json() for key in sorted(users)]}
        tmp = self.path.with_name(f".{USERS_FILE}.{os.getpid()}.{uuid.uuid4().hex}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                os.fchmod(fd, FILE_MODE)  # O_CREAT's mode passes through the umask
                json.dump(payload, out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        folder = os.open(self.data_dir, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a crash
        finally:
            os.close(folder)


@dataclass(frozen=True)
class FirstUser:
    email: str
    password: str | None  # only when it was just created: shown once, never stored in clear


def ensure_first_user(data_dir: str | Path, email: str = FIRST_USER_EMAIL) -> FirstUser | None:
    """Create a staff user with a random password when there is no user at all.

    Returns the new user's credentials, or None if users existed already.
    """
    store = UserStore(data_dir)
    if store.list():
        return None
    password = new_password()
    try:
        store.add(email, password, ("staff",))
    except ValueError:
        return None  # another command created one meanwhile
    return FirstUser(canonical_email(email), password)

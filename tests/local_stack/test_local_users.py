"""Local staff users (``users.json``) and ``membership local user``, without a running stack."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_aws.cli import main, sign_in_banner
from local_aws.users import USERS_FILE, UserStore, canonical_email

PASSWORD = "correct horse battery"


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_passwords_are_kept_only_as_salted_scrypt_hashes(tmp_path: Path) -> None:
    store = UserStore(tmp_path)
    anna = store.add("anna@verein.example", PASSWORD)
    bert = store.add("bert@verein.example", PASSWORD)
    text = (tmp_path / USERS_FILE).read_text()
    assert PASSWORD not in text
    assert anna.salt != bert.salt
    assert anna.password_hash != bert.password_hash  # same password, different salt
    assert anna.sub != bert.sub
    assert store.authenticate("anna@verein.example", PASSWORD) == anna
    assert store.authenticate("anna@verein.example", PASSWORD + "x") is None
    assert store.authenticate("nobody@verein.example", PASSWORD) is None


def test_the_domain_is_lower_cased_and_addresses_match_whatever_the_case(tmp_path: Path) -> None:
    assert canonical_email(" Anna.B@Verein.EXAMPLE ") == "Anna.B@verein.example"
    for bad in ("", "anna", "anna@", "@verein.example", "an na@verein.example", "a@localhost"):
        with pytest.raises(ValueError, match="not an e-mail address"):
            canonical_email(bad)
    store = UserStore(tmp_path)
    store.add("Anna@Verein.Example", PASSWORD)
    assert store.authenticate("anna@VEREIN.example", PASSWORD) is not None
    with pytest.raises(ValueError, match="exists already"):
        store.add("ANNA@verein.example", "another good password")


def test_the_users_file_is_the_owners_only_whatever_the_umask(
    tmp_path: Path, permissive_umask: None
) -> None:
    store = UserStore(tmp_path / "data")
    store.add("anna@verein.example", PASSWORD)
    for name in (USERS_FILE, "users.lock"):
        assert stat.S_IMODE((tmp_path / "data" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


def test_concurrent_writers_lose_no_user_and_leave_no_temporary_file(tmp_path: Path) -> None:
    store = UserStore(tmp_path)
    errors: list[BaseException] = []

    def add_three(worker: int) -> None:
        try:
            for n in range(3):
                UserStore(tmp_path).add(f"user{worker}-{n}@verein.example", PASSWORD)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=add_three, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.list()) == 18
    assert store.remove("user0-0@verein.example")
    assert len(json.loads((tmp_path / USERS_FILE).read_text())["users"]) == 17
    assert sorted(p.name for p in tmp_path.iterdir()) == [USERS_FILE, "users.lock"]


def test_the_cli_adds_lists_and_removes_users(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path)
    assert main(["local", "user", "add", "Anna@Verein.EXAMPLE", "--group", "staff",
                 "--password", PASSWORD, "--data-dir", data]) == 0  # fmt: skip
    assert main(["local", "--data-dir", data, "user", "add", "bert@verein.example",
                 "--group", "staff", "--group", "board"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    generated = out.split("password: ")[1].strip()  # no --password: one is made and shown
    assert UserStore(tmp_path).authenticate("bert@verein.example", generated) is not None
    assert main(["local", "user", "list", "--data-dir", data]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == ["Anna@verein.example\tstaff", "bert@verein.example\tstaff,board"]
    assert main(["local", "user", "remove", "BERT@verein.example", "--data-dir", data]) == 0
    assert main(["local", "user", "remove", "bert@verein.example", "--data-dir", data]) == 1
    assert [u.email for u in UserStore(tmp_path).list()] == ["Anna@verein.example"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["anna@verein.example", "--password", "another good one"], "exists already"),
        (["new@verein.example", "--password", ""], "at least 12 characters"),
        (["new@verein.example", "--password", "short"], "at least 12 characters"),
        (["new@verein.example", "--password", " " * 12], "at least 12 characters"),
        (["new@verein.example", "--password", "abababababab"], "too easy"),
        (["new@verein.example", "--password", PASSWORD, "--group", "sta ff"], "whitespace"),
        (["not-an-address", "--password", PASSWORD], "not an e-mail address"),
    ],
)
def test_the_cli_refuses_duplicates_weak_passwords_and_bad_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    UserStore(tmp_path).add("Anna@verein.example", PASSWORD)
    before = (tmp_path / USERS_FILE).read_bytes()
    assert main(["local", "user", "add", *arguments, "--data-dir", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert (tmp_path / USERS_FILE).read_bytes() == before


def test_the_first_start_creates_a_user_and_shows_its_password_once(tmp_path: Path) -> None:
    first = sign_in_banner("http://127.0.0.1:3000", tmp_path)
    assert "http://127.0.0.1:3000/control\n" in first  # the staff app; it asks to sign in
    assert "http://127.0.0.1:3000/_local/cognito" in first
    password = first.split("password: ")[1].split()[0]
    user = UserStore(tmp_path).authenticate("staff@verein.example", password)
    assert user is not None
    assert user.groups == ("staff",)
    assert password not in (tmp_path / USERS_FILE).read_text()
    later = sign_in_banner("http://127.0.0.1:3000", tmp_path)
    assert password not in later
    assert "password:" not in later
    assert str(tmp_path / USERS_FILE) in later
    assert len(UserStore(tmp_path).list()) == 1


def test_no_first_user_is_made_when_users_exist(tmp_path: Path) -> None:
    UserStore(tmp_path).add("anna@verein.example", PASSWORD)
    assert "password:" not in sign_in_banner("http://127.0.0.1:3000", tmp_path)
    assert [u.email for u in UserStore(tmp_path).list()] == ["anna@verein.example"]

"""Find the Chromium (or Google Chrome) the browser tests drive, and install one where we can.

Playwright's own browser download is not used: the tests drive the browser the system has.

    python tests/browser/find_chromium.py            # print the executable's path, or fail
    python tests/browser/find_chromium.py --install  # the same, installing Chromium with apt
                                                      # first if none is found and we are root
                                                      # (or have password-less sudo)

Where it looks, in this order: ``$CHROMIUM``, ``$PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH`` (either,
when set, must work: a wrong path is an error, not a reason to look elsewhere), then
``chromium``, ``chromium-browser``, ``google-chrome``, ``google-chrome-stable`` on the PATH,
then the usual macOS application paths. A candidate counts only if ``--version`` answers like
a Chromium: Ubuntu's ``chromium-browser`` package is a stub that installs a snap, and such
stubs are skipped. GitHub's ubuntu runners have a Chromium build at ``/usr/bin/chromium`` and
Google Chrome at ``/usr/bin/google-chrome``; Debian has ``apt-get install chromium``.

Standard library only: ``make browser`` runs it before anything else is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ENVIRONMENT_VARIABLES = ("CHROMIUM", "PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH")
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
APPLICATION_PATHS = (
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
VERSION = re.compile(r"\b(Chromium|Google Chrome)\b[^\n]*?\b(\d+)\.\d+\.\d+")

HOW_TO_INSTALL = """\
The browser tests need Chromium or Google Chrome, and none was found.
Install one, then run `make test` again:
  Debian:          sudo apt-get install chromium
  Ubuntu:          install Google Chrome (https://www.google.com/chrome/, the .deb), or
                   sudo snap install chromium   (the apt package only installs that snap)
  Fedora:          sudo dnf install chromium
  macOS:           brew install --cask chromium   (or Google Chrome from google.com/chrome)
or point CHROMIUM at an executable: CHROMIUM=/path/to/chrome make test
(`make test` installs Debian's chromium package by itself when it runs as root or may sudo
without a password.)"""


class ChromiumNotFound(RuntimeError):
    """No usable Chromium; the message says how to get one."""


def version_of(executable: str) -> str | None:
    """What ``executable --version`` says if it is a Chromium that runs, else None."""
    try:
        done = subprocess.run(
            [executable, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = VERSION.search(done.stdout)
    if done.returncode != 0 or match is None:
        return None
    return match.group(0).strip()


def candidates() -> list[str]:
    found = [shutil.which(name) for name in NAMES]
    return [path for path in (*found, *APPLICATION_PATHS) if path and os.access(path, os.X_OK)]


def find() -> str:
    """The path of a working Chromium, or ChromiumNotFound."""
    for variable in ENVIRONMENT_VARIABLES:
        value = os.environ.get(variable)
        if value:
            path = shutil.which(value) or value
            if version_of(path) is None:
                raise ChromiumNotFound(
                    f"{variable}={value} is not a Chromium or Google Chrome that runs "
                    f"(`{value} --version` failed).\n\n{HOW_TO_INSTALL}"
                )
            return path
    seen: set[Path] = set()
    for path in candidates():
        real = Path(path).resolve()
        if real in seen:
            continue
        seen.add(real)
        if version_of(path) is not None:
            return path
    raise ChromiumNotFound(HOW_TO_INSTALL)


def install_command() -> list[str] | None:
    """What to put before apt-get to run it with the rights it needs, or None where we cannot.
    (sudo passes no environment: ``env`` sets DEBIAN_FRONTEND behind it.)"""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    if (
        sudo
        and subprocess.run([sudo, "-n", "true"], capture_output=True, check=False).returncode == 0
    ):
        return [sudo, "-n", "env", "DEBIAN_FRONTEND=noninteractive"]
    return None


def install() -> None:
    """Install Debian's ``chromium`` package with apt-get (as root, or with sudo -n)."""
    prefix = install_command()
    if prefix is None:
        return
    print("No Chromium found: installing Debian's chromium package with apt-get.", file=sys.stderr)
    for arguments in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"],
    ):
        # apt-get's output to stderr: stdout carries only the path (for `make browser`).
        done = subprocess.run(
            [*prefix, *arguments],
            stdout=sys.stderr,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            check=False,
        )
        if done.returncode != 0:
            print(f"`{' '.join(arguments)}` failed ({done.returncode}).", file=sys.stderr)
            return


def main(argv: list[str]) -> int:
    try:
        path = find()
    except ChromiumNotFound as missing:
        if "--install" not in argv or any(os.environ.get(v) for v in ENVIRONMENT_VARIABLES):
            print(missing, file=sys.stderr)
            return 1
        install()
        try:
            path = find()
        except ChromiumNotFound as still_missing:
            print(still_missing, file=sys.stderr)
            return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Secrets generated at first run into the data directory, never taken from the source code.

The session key (SECRET_KEY) and the research pseudonym key are each read from the environment
when the operator gives one, and otherwise from a file in the data directory, made the first time
any process needs it. Several processes start together (gunicorn's workers, the worker beside
them), so the file is created atomically: the key is written to a private temporary file, then
hard-linked into place, which fails if the name exists (the same exclusivity as O_CREAT|O_EXCL,
but the file never appears half-written). The loser of that race reads the winner's key, so every
process agrees on one key. Files are owner-only (0600), like the ledger's signing key.

This module is imported by settings.py: it uses nothing from Django."""

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

# 50 characters from a 64-character alphabet: ~300 bits, and what Django's own check expects of a
# strong key (at least 50 characters, at least 5 distinct).
KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
KEY_LENGTH = 50


class KeyFileError(Exception):
    """The key file cannot be read or made: the message says which file and why."""


def new_key() -> str:
    return "".join(secrets.choice(KEY_CHARS) for _ in range(KEY_LENGTH))


def _read(path: Path) -> str:
    try:
        key = path.read_text().strip()
    except PermissionError as exc:
        raise KeyFileError(f"{path} cannot be read by this user: {exc.strerror}.") from exc
    if not key:
        raise KeyFileError(f"{path} is empty: move it away, and a new key is made at next start.")
    return key


def read_or_create(path: Path) -> str:
    """The key kept in `path`, made now if there is none yet."""
    path = Path(path)
    if path.exists():
        return _read(path)
    try:
        # Owner-only when new: the data folder also holds the SQLite file and uploads.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    except OSError as exc:
        raise KeyFileError(f"Cannot make a key in {path.parent}: {exc.strerror}.") from exc
    try:
        with os.fdopen(fd, "w") as f:
            f.write(new_key() + "\n")
            f.flush()
            os.fsync(f.fileno())
        # Atomic; FileExistsError when another process won the race, whose key is then read.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return _read(path)


def mode_problem(path: Path) -> str | None:
    """A sentence naming the problem if others than the owner may read the key file."""
    try:
        mode = Path(path).stat().st_mode & 0o777
    except OSError:
        return None
    if mode & 0o077:
        return f"{path} may be read by others (mode {mode:o}); run: chmod 600 {path}"
    return None

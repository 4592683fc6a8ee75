"""The ledger's signing key: made once by `homecoming ledger keygen`, read from the file named
by HOMECOMING_LEDGER_KEY. The private key never enters the database; the public half is
published as a C2SP verifier key (vkey) for the oversight body and investigators."""

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from .verify import ED25519, VerifierKey, check_key_name, format_vkey, key_id, sign_note

PREFIX = "PRIVATE+KEY+"


class KeyMissing(Exception):
    """No signing key yet: the operator runs `homecoming ledger keygen` once."""


@dataclass(frozen=True)
class SigningKey:
    name: str
    private: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def vkey(self) -> str:
        return format_vkey(self.name, self.public_bytes)

    @property
    def verifier(self) -> VerifierKey:
        return VerifierKey.parse(self.vkey)

    def sign_note(self, text: str) -> str:
        return sign_note(text, self.name, self.private.sign, self.public_bytes)


def key_path() -> Path:
    return Path(settings.HOMECOMING_LEDGER_KEY)


def _encode(name: str, private: Ed25519PrivateKey) -> str:
    """The signer-key text format of Go's golang.org/x/mod/sumdb/note, so standard tools can
    use the same key: PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 || seed)>."""
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    blob = base64.b64encode(bytes([ED25519]) + seed).decode()
    return f"{PREFIX}{name}+{key_id(name, public).hex()}+{blob}\n"


def generate(name: str, path: Path | None = None) -> SigningKey:
    """Write a new key file (owner-only permissions); refuse to replace an existing one,
    because checkpoints signed with the old key could no longer be checked against it."""
    check_key_name(name)
    path = path or key_path()
    if path.exists():
        raise FileExistsError(f"{path} exists; a ledger keeps its key (move it away by hand)")
    path.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(_encode(name, private))
    return SigningKey(name, private)


def load(path: Path | None = None) -> SigningKey:
    path = path or key_path()
    try:
        text = path.read_text().strip()
    except FileNotFoundError as exc:
        raise KeyMissing(
            f"No ledger signing key at {path}: run `homecoming ledger keygen` once."
        ) from exc
    if not text.startswith(PREFIX):
        raise KeyMissing(f"{path} is not a ledger signing key.")
    try:
        name, hex_id, blob = text[len(PREFIX) :].split("+", 2)  # base64 may hold "+"
        raw = base64.b64decode(blob, validate=True)
    except ValueError as exc:
        raise KeyMissing(f"{path} is not a ledger signing key: {exc}") from exc
    if len(raw) != 33 or raw[0] != ED25519:
        raise KeyMissing(f"{path} is not an Ed25519 key.")
    key = SigningKey(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
    if key_id(name, key.public_bytes).hex() != hex_id:
        raise KeyMissing(f"{path} is damaged: its key ID does not match the key.")
    return key

"""The data key and its key file.

A random 32-byte data key encrypts everything. The key file beside the database holds that key
wrapped with AES-GCM under a key derived from the passphrase with Argon2id. Changing the
passphrase re-wraps the key and re-encrypts nothing.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from memory.errors import KeyFileError, WrongPassphrase

_FORMAT = "engram-key"
_VERSION = 1
_AAD = b"engram-key-v1"
KEY_BYTES = 32


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The default follows RFC 9106's second recommendation (64 MiB, 3 passes)."""

    iterations: int = 3
    lanes: int = 4
    memory_cost: int = 64 * 1024  # KiB

    # Bounds a key file (or an archive header) must keep before anything is derived: outside them
    # Argon2id fails, or runs for minutes, or asks for gigabytes. Engram writes the default (3 passes,
    # 4 lanes, 64 MiB); the caps leave room for a costlier choice, not for a tampered file's.
    MAX_ITERATIONS: ClassVar[int] = 16
    MAX_LANES: ClassVar[int] = 16
    MAX_MEMORY_COST: ClassVar[int] = 1024 * 1024  # KiB: 1 GiB

    def check(self) -> KdfParams:
        """These parameters, if they are within sane bounds; ValueError if not."""
        for name in ("iterations", "lanes", "memory_cost"):
            if type(getattr(self, name)) is not int:
                raise ValueError(f"{name} is not a whole number")
        if not 1 <= self.iterations <= self.MAX_ITERATIONS:
            raise ValueError("iterations out of range")
        if not 1 <= self.lanes <= self.MAX_LANES:
            raise ValueError("lanes out of range")
        if not 8 * self.lanes <= self.memory_cost <= self.MAX_MEMORY_COST:
            raise ValueError("memory cost out of range")
        return self

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        self.check()
        kdf = Argon2id(
            salt=salt,
            length=KEY_BYTES,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_cost,
        )
        return kdf.derive(passphrase.encode("utf-8"))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _write_atomic(path: Path, payload: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _wrap(path: Path, data_key: bytes, passphrase: str, params: KdfParams) -> None:
    if not passphrase:
        raise WrongPassphrase("the passphrase must not be empty")
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    wrapped = AESGCM(params.derive(passphrase, salt)).encrypt(nonce, data_key, _AAD)
    doc = {
        "format": _FORMAT,
        "version": _VERSION,
        "kdf": {"name": "argon2id", "salt": _b64(salt), **asdict(params)},
        "nonce": _b64(nonce),
        "wrapped_key": _b64(wrapped),
    }
    _write_atomic(path, json.dumps(doc, indent=1).encode("ascii"))


def create_key_file(path: Path, passphrase: str, params: KdfParams | None = None) -> bytes:
    """Make a new random data key, write it wrapped to `path` (which must not exist), return it."""
    if path.exists():
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key file")
    data_key = secrets.token_bytes(KEY_BYTES)
    _wrap(path, data_key, passphrase, params or KdfParams())
    return data_key


def _read(path: Path) -> tuple[dict, KdfParams, bytes, bytes, bytes]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} is missing; without it the data cannot be read") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    try:
        doc = json.loads(raw)
        if doc.get("format") != _FORMAT or doc.get("version") != _VERSION:
            raise ValueError("unknown format")
        kdf = doc["kdf"]
        if kdf.get("name", "argon2id") != "argon2id":
            raise ValueError("unknown key derivation")
        params = KdfParams(kdf["iterations"], kdf["lanes"], kdf["memory_cost"]).check()
        salt = base64.b64decode(kdf["salt"], validate=True)
        nonce = base64.b64decode(doc["nonce"], validate=True)
        wrapped = base64.b64decode(doc["wrapped_key"], validate=True)
        if len(nonce) != 12 or len(wrapped) != KEY_BYTES + 16 or not 8 <= len(salt) <= 64:
            raise ValueError("bad sizes")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise KeyFileError(f"key file {path} is damaged (not an Engram key file)") from None
    return doc, params, salt, nonce, wrapped


def unlock_key_file(path: Path, passphrase: str) -> bytes:
    """The data key in `path`; WrongPassphrase if the passphrase does not open it."""
    _, params, salt, nonce, wrapped = _read(path)
    try:
        return AESGCM(params.derive(passphrase, salt)).decrypt(nonce, wrapped, _AAD)
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase") from None


def rewrap_key_file(path: Path, old: str, new: str, params: KdfParams | None = None) -> None:
    """Re-wrap the data key under a new passphrase; the data itself is untouched."""
    data_key = unlock_key_file(path, old)
    _, current, *_ = _read(path)
    _wrap(path, data_key, new, params or current)

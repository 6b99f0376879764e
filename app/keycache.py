"""An optional cache of the unlocked data key in the OS keyring.

Where no keyring exists (headless Linux) every call is a quiet no-op: that is normal.
"""

from __future__ import annotations

import contextlib

from app.paths import Paths

_SERVICE = "engram-data-key"


def _keyring():
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken backend is the same as none
        return None
    if isinstance(backend, fail.Keyring) or "chainer" in type(backend).__name__.lower() and not getattr(
        backend, "backends", []
    ):
        return None
    return keyring


def available() -> bool:
    return _keyring() is not None


def load(paths: Paths) -> bytes | None:
    kr = _keyring()
    if kr is None:
        return None
    with contextlib.suppress(Exception):
        value = kr.get_password(_SERVICE, str(paths.root))
        return bytes.fromhex(value) if value else None
    return None


def store(paths: Paths, key: bytes) -> bool:
    kr = _keyring()
    if kr is None:
        return False
    try:
        kr.set_password(_SERVICE, str(paths.root), key.hex())
    except Exception:
        return False
    return True


def clear(paths: Paths) -> None:
    kr = _keyring()
    if kr is not None:
        with contextlib.suppress(Exception):
            kr.delete_password(_SERVICE, str(paths.root))

import secrets

import pytest

from memory import KdfParams, MemoryStore
from tests.fileserver import FileServer

# Tests use a cheaper Argon2id cost where the passphrase itself is not under test.
FAST_KDF = KdfParams(iterations=1, lanes=1, memory_cost=8 * 1024)


@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def store(tmp_path, key):
    s = MemoryStore.create(tmp_path / "engram.db", key)
    yield s
    s.close()


@pytest.fixture
def server():
    """A local HTTP file server on 127.0.0.1 (tests/fileserver.py) for download tests."""
    s = FileServer({})
    yield s
    s.close()

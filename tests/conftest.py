import os
import secrets
import time
from pathlib import Path

import pytest

from memory import KdfParams, MemoryStore
from tests.fileserver import FileServer

# Tests use a cheaper Argon2id cost where the passphrase itself is not under test.
FAST_KDF = KdfParams(iterations=1, lanes=1, memory_cost=8 * 1024)


@pytest.fixture
def local_zone(monkeypatch):
    """Set the process's local time zone (TZ) for one test: local times are shown and read in it."""
    def use(zone):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
    yield use
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def _no_shared_models(tmp_path_factory, monkeypatch):
    """Tests never see the models installed on this machine (the tier rule would pick them)."""
    monkeypatch.setenv("ENGRAM_MODELS", str(tmp_path_factory.mktemp("shared-models")))


@pytest.fixture(autouse=True)
def _own_config_home(tmp_path_factory, monkeypatch):
    """Tests never write the user's login entries (~/.config/autostart): a config home of their own."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))


def installed_tier_model() -> Path | None:
    """The real tier model this machine uses (the tier rule's, which the installer put in this
    user's shared models folder), else the other tier if only that one is there; None if neither
    is (for the tests marked slow)."""
    import platformdirs

    from app.models import LARGE, SMALL, Catalog, Machine

    folder = Path(os.environ.get("ENGRAM_REAL_MODELS") or Path(platformdirs.user_data_dir("Engram", appauthor=False))
                  / "models")
    tiers = {e.tier: e for e in Catalog.load().entries if e.tier}
    order = [LARGE, SMALL] if Machine.current().tier == LARGE else [SMALL, LARGE]
    return next((folder / tiers[t].file for t in order if (folder / tiers[t].file).is_file()), None)


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

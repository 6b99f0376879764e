import json

import pytest

from memory import KeyFileError, WrongPassphrase, create_key_file, rewrap_key_file, unlock_key_file
from tests.conftest import FAST_KDF


def test_a_key_file_gives_back_its_key_for_the_right_passphrase(tmp_path):
    path = tmp_path / "k"
    key = create_key_file(path, "correct horse", FAST_KDF)
    assert len(key) == 32
    assert unlock_key_file(path, "correct horse") == key
    assert key.hex() not in path.read_text()


def test_a_wrong_passphrase_is_a_clear_error_and_touches_nothing(tmp_path):
    path = tmp_path / "k"
    create_key_file(path, "right", FAST_KDF)
    before = path.read_bytes()
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        unlock_key_file(path, "wrong")
    assert path.read_bytes() == before


def test_changing_the_passphrase_rewraps_the_same_key(tmp_path):
    path = tmp_path / "k"
    key = create_key_file(path, "old", FAST_KDF)
    rewrap_key_file(path, "old", "new")
    assert unlock_key_file(path, "new") == key
    with pytest.raises(WrongPassphrase):
        unlock_key_file(path, "old")


def test_rewrapping_with_a_wrong_passphrase_changes_nothing(tmp_path):
    path = tmp_path / "k"
    create_key_file(path, "old", FAST_KDF)
    before = path.read_bytes()
    with pytest.raises(WrongPassphrase):
        rewrap_key_file(path, "nope", "new")
    assert path.read_bytes() == before


@pytest.mark.parametrize("content", [b"", b"garbage", b"{}", b'{"format": "engram-key", "version": 1}'])
def test_a_damaged_key_file_names_the_file(tmp_path, content):
    path = tmp_path / "engram.key"
    path.write_bytes(content)
    with pytest.raises(KeyFileError, match="engram.key is damaged"):
        unlock_key_file(path, "x")


def test_a_flipped_byte_in_the_wrapped_key_is_refused(tmp_path):
    path = tmp_path / "k"
    create_key_file(path, "pw", FAST_KDF)
    doc = json.loads(path.read_text())
    doc["wrapped_key"] = ("A" if doc["wrapped_key"][0] != "A" else "B") + doc["wrapped_key"][1:]
    path.write_text(json.dumps(doc))
    with pytest.raises(WrongPassphrase):
        unlock_key_file(path, "pw")


def test_a_missing_key_file_is_named(tmp_path):
    with pytest.raises(KeyFileError, match="missing"):
        unlock_key_file(tmp_path / "engram.key", "x")


def test_an_existing_key_file_is_never_overwritten(tmp_path):
    path = tmp_path / "k"
    create_key_file(path, "a", FAST_KDF)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        create_key_file(path, "b", FAST_KDF)
    assert path.read_bytes() == before

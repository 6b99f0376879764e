"""The package boundaries of ../shared/STYLE.md hold (import-linter contracts in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

import memory


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.replace("0 broken", "")


def test_memory_offers_exactly_its_public_surface():
    assert len(set(memory.__all__)) == len(memory.__all__)
    for name in memory.__all__:
        assert hasattr(memory, name), name

"""Where Engram keeps its data: one private directory, from platformdirs unless overridden."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

ENV_HOME = "ENGRAM_HOME"
ENV_MODELS = "ENGRAM_MODELS"


@dataclass(frozen=True)
class Paths:
    """The files of one data directory."""

    root: Path

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike | None = None) -> Paths:
        """`data_dir`, else $ENGRAM_HOME, else the platform's user data directory."""
        chosen = data_dir or os.environ.get(ENV_HOME)
        return cls(Path(chosen).expanduser().absolute()) if chosen else cls.platform_default()

    @classmethod
    def platform_default(cls) -> Paths:
        """The platform's user data directory (`~/.local/share/Engram` on Linux), whatever
        $ENGRAM_HOME says: what Engram opens when nothing else is said, as at login."""
        return cls(Path(platformdirs.user_data_dir("Engram", appauthor=False)).expanduser().absolute())

    @property
    def database(self) -> Path:
        return self.root / "engram.db"

    @property
    def key_file(self) -> Path:
        return self.root / "engram.key"

    @property
    def frames(self) -> Path:
        return self.root / "frames"

    @property
    def vector_index(self) -> Path:
        return self.root / "vectors"

    @property
    def models(self) -> Path:
        """Recommended models downloaded by `engram models download` (outside the encrypted store:
        they are public files, checked by their SHA-256)."""
        return self.root / "models"

    @property
    def shared_models(self) -> Path:
        """Models for every data directory of this user: $ENGRAM_MODELS, else the default data
        directory's models folder (where the installer puts the default tier)."""
        chosen = os.environ.get(ENV_MODELS)
        if chosen:
            return Path(chosen).expanduser().absolute()
        return Paths.platform_default().models

    @property
    def instance_lock(self) -> Path:
        return self.root / "engram.lock"

    def is_initialized(self) -> bool:
        return self.key_file.exists() or self.database.exists()

    def ensure(self) -> None:
        """Create the directories, private to the user (0700)."""
        for folder in (self.root, self.frames):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)

    def size_bytes(self) -> int:
        """Bytes used by the user's data: every file under the data directory but downloaded models."""
        if not self.root.exists():
            return 0
        return sum(p.stat().st_size for p in self.root.rglob("*")
                   if p.is_file() and self.models not in p.parents)

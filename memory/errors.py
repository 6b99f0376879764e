"""The one exception family of `memory/`."""


class StoreError(Exception):
    """Base of every error `memory/` raises on purpose. The message is one clear line."""


class KeyFileError(StoreError):
    """The key file is missing, unreadable or damaged."""


class WrongPassphrase(StoreError):
    """The passphrase does not unwrap the data key."""


class ValidationError(StoreError):
    """A value is not acceptable for storage (bad field, unknown id, ...)."""


class ModelError(StoreError):
    """A model could not be loaded or did not answer usefully."""


class DatabaseDamaged(StoreError):
    """The database file is damaged (a page fails its check): nothing more is written to it."""


class DatabaseEmpty(StoreError):
    """The database file is there but empty (0 bytes): its contents are lost; none is made anew."""


class ReadOnlyStore(StoreError):
    """The data directory (or the database file) cannot be written: reads work, writes do not."""

"""The one exception family of `app/`."""


class AppError(Exception):
    """An error the user should see as one clear line (the CLI prints it and exits non-zero)."""

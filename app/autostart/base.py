"""What every autostart backend shares: its error."""

from app.errors import AppError


class AutostartError(AppError):
    """The login entry could not be written or removed; the message says where and why."""

import pytest

from tests.capture.xserver import XServer, usable


@pytest.fixture(scope="session")
def xserver():
    """One private X server for the session's capture tests; DISPLAY points at it meanwhile."""
    reason = usable()
    if reason:
        pytest.skip(reason)
    server = XServer()
    mp = pytest.MonkeyPatch()
    mp.setenv("DISPLAY", server.display)
    mp.delenv("WAYLAND_DISPLAY", raising=False)
    yield server
    mp.undo()
    server.close()

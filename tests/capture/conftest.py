import pytest

from tests.capture.xserver import serve_for_tests


@pytest.fixture(scope="session")
def xserver():
    """One private X server for the session's capture tests; DISPLAY points at it meanwhile."""
    yield from serve_for_tests()

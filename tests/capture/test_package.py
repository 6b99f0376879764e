import capture


def test_capture_offers_exactly_its_public_surface():
    assert len(set(capture.__all__)) == len(capture.__all__)
    for name in capture.__all__:
        assert hasattr(capture, name), name

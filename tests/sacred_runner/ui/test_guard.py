"""The security rules: what counts as loopback, tokens, and file lookup by exact listed name."""

import pytest

from sacred_runner.ui.guard import find_file, is_loopback, new_token


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]", "LOCALHOST"])
def test_loopback_addresses(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.org", ""])
def test_addresses_other_machines_can_reach(host):
    assert not is_loopback(host)


def test_tokens_are_long_and_fresh():
    tokens = {new_token() for _ in range(20)}
    assert len(tokens) == 20 and all(len(t) >= 32 for t in tokens)


class _Stored:
    def __init__(self, name):
        self.name = name


def test_find_file_matches_exactly_one_listed_name():
    files = [_Stored("notes.txt"), _Stored("sub/plot.png")]
    assert find_file(files, "sub/plot.png") is files[1]
    for name in ("../notes.txt", "./notes.txt", "NOTES.txt", "/notes.txt", "sub/../notes.txt", ""):
        assert find_file(files, name) is None

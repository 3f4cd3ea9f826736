from __future__ import annotations

import pytest

from tests.flags import unleash_server


@pytest.fixture(scope="module")  # shut down with the module: node and PostgreSQL hold memory
def unleash(tmp_path_factory):
    """A real Unleash 7.4 on 127.0.0.1 with its own PostgreSQL, for the tests of one module."""
    why = unleash_server.missing()
    if why is not None:
        if unleash_server.REQUIRED:
            pytest.fail(f"real Unleash required (ROLLDECK_REQUIRE_UNLEASH=1) but {why}")
        pytest.skip(why)
    with unleash_server.running(tmp_path_factory.mktemp("unleash")) as server:
        yield server

import pytest

from tests.integration.harness import REDIS_TEST_URL, procfile_stack


@pytest.fixture(scope="module")
def stack():
    """The Procfile's release, one worker and two web processes on Redis and PostgreSQL."""
    with procfile_stack(redis_url=REDIS_TEST_URL, web_processes=2) as deployment:
        yield deployment

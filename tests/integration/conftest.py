import tempfile
from pathlib import Path

import pytest

from tests.integration.harness import REDIS_TEST_URL, PostgresDatabase, Stack, base_env, require_redis, wait_for_http


@pytest.fixture(scope="module")
def stack():
    """The Procfile's release, one worker and two web processes on Redis and PostgreSQL."""
    require_redis(REDIS_TEST_URL)
    with tempfile.TemporaryDirectory() as workdir, PostgresDatabase() as database_url:
        deployment = Stack(env=base_env(DATABASE_URL=database_url, REDIS_URL=REDIS_TEST_URL), workdir=Path(workdir))
        try:
            deployment.release()
            deployment.start_worker()
            deployment.start_web()
            deployment.start_web()
            wait_for_http(deployment.http() + "/healthz", accept={200})
            yield deployment
        except BaseException:
            print(deployment.logs())
            raise
        finally:
            deployment.stop()



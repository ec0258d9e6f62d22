import uuid

import pytest


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Each test its own cache: the figures are cached, and with REDIS_URL set the cache is a Redis shared with
    other test runs (and Celery), which clearing would disturb. A key prefix of the test's own isolates it."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": uuid.uuid4().hex}}

"""Loaded by pytest before Django (`-p tests.environment`): test defaults for the environment.

Tests run against the same settings module as production; only these variables differ, and each
can still be overridden from outside (CI sets DATABASE_URL and REDIS_URL).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("DEMO_PASSWORD", "ocit-test-password-2026")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

"""Container health check for the web process: `python -m ocit.healthcheck [URL]`.

Asks gunicorn for /healthz as the proxy would (the service's host name, HTTPS already terminated)
and exits non-zero unless it answers 200.
"""

import os
import sys
import urllib.error
import urllib.request


def main(url="http://127.0.0.1:8000/healthz"):
    host = (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",")[0].strip()
    request = urllib.request.Request(url, headers={"Host": host, "X-Forwarded-Proto": "https"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            print(response.read().decode())
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

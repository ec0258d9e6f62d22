"""gunicorn's settings, for every place that serves the app (`gunicorn -c python:ocit.gunicorn_conf ocit.wsgi`).

gunicorn refuses some requests before the app sees them: a request line over `limit_request_line` (414), headers
too large (431), a malformed request (400). Its answer is an HTML page; here it is problem details, like every other
error the API gives (see ocit.api.problem).
"""

import json

from gunicorn import util

limit_request_line = 8190  # the longest gunicorn allows: an address with every list filter set fits many times over


def write_problem(sock, status_int, reason, mesg):
    body = json.dumps({"type": "about:blank", "title": reason, "status": status_int, "detail": mesg}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


util.write_error = write_problem  # the workers call util.write_error for each refusal

"""gunicorn's own refusals (a malformed request line, a URI or headers over its limits) as problem+json.

gunicorn answers those itself, before the app sees the request, with a small HTML page; a client of this API
expects every error as a problem. gunicorn.conf.py installs this in the master, so every worker inherits it.
"""

import json


def install():
    from gunicorn import util

    def write_problem(sock, status_int, reason, mesg):
        body = json.dumps({"type": "about:blank", "title": reason, "status": status_int, "detail": mesg}).encode()
        head = (
            f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        util.write_nonblock(sock, head.encode("latin-1") + body)

    util.write_error = write_problem

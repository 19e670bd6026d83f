"""Clients that trickle: a body or a response that does not move within SHOEFIT_CLIENT_TIMEOUT frees its thread.

gunicorn's threaded worker waits for a request's first bytes in its poller, but once a thread has the request it
reads the body and writes the answer on a blocking socket: a client that sends its headers and then 3 bytes of a
100-byte body would hold that thread for as long as it likes. gunicorn hands the app its client socket
(`gunicorn.socket`); the kernel's receive and send timeouts on it bound every read and write. Under another server
(the test client, werkzeug) there is no such socket and nothing changes.

SO_RCVTIMEO and SO_SNDTIMEO rather than socket.settimeout: Python's own timeout turns the socket non-blocking and
polls before every read and write, a second system call each time, and each one hands the GIL to another thread.
A blocking call that times out raises BlockingIOError, which werkzeug reports, for a body, as ClientDisconnected.
The options stay on the connection: a kept-alive client that stalls halfway through its next request's headers is
let go after the same time, and under the shipped worker so is one that stalls in its first request's. A socket
is bounded once: its later requests find it marked, and make no system call for it.
"""

import socket
import struct
import weakref

import flask
from werkzeug.exceptions import ClientDisconnected

from .problems import problem

# The seconds each live client socket is bounded by; a socket's entry goes with it.
_bounded = weakref.WeakKeyDictionary()


def bound(client, seconds):
    """Every read and write on the socket `client` gives up after `seconds` without a byte moving."""
    whole = int(seconds)
    timeval = struct.pack("ll", whole, round((seconds - whole) * 1_000_000))
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
    _bounded[client] = seconds


def init_app(app, seconds):
    # The shipped worker (web/thread_worker.py) bounds each connection as it takes it, its first request's headers
    # included; this bounds the body and the answer under any other gunicorn worker too.
    @app.before_request
    def bound_the_client():
        client = flask.request._get_current_object().environ.get("gunicorn.socket")
        # Each setsockopt is a system call, which hands the GIL to another thread: once per connection, not per request.
        if client is not None and _bounded.get(client) != seconds:
            bound(client, seconds)

    # Werkzeug reports a body read that failed, the timeout included, as the client having gone.
    @app.errorhandler(ClientDisconnected)
    def too_slow(error):
        response = problem(
            408, "Request Timeout", f"The request body did not arrive within {seconds:g} s; send it again."
        )
        # What is left of the body is still on its way: the connection cannot carry another request.
        response.headers["Connection"] = "close"
        return response

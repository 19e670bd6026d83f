"""gunicorn's threaded worker, taking a new connection only while one of its threads is free.

gunicorn's gthread worker accepts every connection it can (up to `worker_connections`, 1000) and queues its
requests for its threads. Workers share the listening socket, so a worker whose threads are all held (by clients
trickling bodies, say, for up to SHOEFIT_CLIENT_TIMEOUT) would go on taking connections and keep them waiting
while another worker sits idle. This one stops listening while every thread has a request and listens again when
one finishes: a new connection then goes to a worker that can answer it, or waits in the kernel's backlog until
one can. Connections a worker already holds (kept alive between requests) stay with it, as in gunicorn's. Each
connection gets SHOEFIT_CLIENT_TIMEOUT's socket timeouts as the worker takes it (web/slow_clients.py), so a
client stalling in its first request's headers holds a thread no longer than one stalling in a body.

It counts requests through gunicorn's own seams (enqueue_req, finish_request, set_accept_enabled) of the
gthread worker as of gunicorn 27; setup.cfg pins the major version, and tests/test_slow_clients.py fails if a
saturated worker takes connections again.
"""

import logging

from gunicorn.workers.gthread import ThreadWorker

from . import slow_clients


class FreeThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.in_threads = 0
        self.log.error_log.addFilter(stalled_client_in_one_line)

    def enqueue_req(self, conn):
        self.in_threads += 1
        if not getattr(conn, "bounded", False):
            # Before its first request's headers are read: a client that stalls in them is let go too.
            seconds = getattr(self.wsgi, "config", {}).get("CLIENT_TIMEOUT")
            try:
                if seconds:
                    slow_clients.bound(conn.sock, seconds)
            except OSError:
                pass  # the client has gone already: its thread finds out on the first read, and is counted back
            conn.bounded = True
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        # Runs on the worker's main loop, which calls set_accept_enabled(True) on its next turn.
        self.in_threads -= 1
        super().finish_request(conn, fs)

    def accept(self, listener):
        super().accept(listener)
        if self.in_threads >= self.cfg.threads:
            self.set_accept_enabled(False)

    def set_accept_enabled(self, enabled):
        # The main loop asks for accepting whenever it is under worker_connections: not while the threads are full.
        super().set_accept_enabled(enabled and self.in_threads < self.cfg.threads)


def stalled_client_in_one_line(record):
    """gunicorn logs a read or write that timed out with a traceback, as a fault of its own; it is the client's.

    SHOEFIT_CLIENT_TIMEOUT's socket timeouts (web/slow_clients.py) are on a connection from its first byte, so a
    client that stalls halfway through a request's headers, or stops reading an answer, is let go: a warning,
    not an error with a stack.
    """
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, BlockingIOError) and record.levelno >= logging.ERROR:
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg, record.args = "Closed a connection whose client sent or read nothing for SHOEFIT_CLIENT_TIMEOUT", ()
    return True

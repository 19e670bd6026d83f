"""PostgreSQL bounded in time: every wait on the server has a deadline, and errors quote no row values.

A server that is down refuses or times out the connection, but one behind a stalled proxy (or a frozen host whose
kernel still acknowledges) holds a connection open and silent: no socket option notices (tcp_user_timeout and
keepalives only fire when the peer stops acknowledging), and statement_timeout is the server's, so its cancel never
arrives either. Only the client can give up, and psycopg waits on the socket in Connection.wait: DeadlineConnection
bounds that wait.
"""

import psycopg
import sqlalchemy as sa

# How much longer than the server's statement_timeout the client waits: a server that is only slow cancels the
# statement itself and keeps the connection usable; silence past this means nothing will come.
GRACE_S = 0.5
# An abandoned transaction (its client gave up, its proxy still holds the connection) keeps its row locks until
# the server drops it; far longer than any pause between the statements of one of ours.
IDLE_IN_TRANSACTION_FACTOR = 5


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection that closes itself when the server leaves any one wait unanswered for `deadline` s."""

    deadline: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        if self.deadline is None or (timeout is not None and timeout <= self.deadline):
            return super().wait(gen, interval, timeout)  # a caller's own shorter timeout is its to handle
        try:
            return super().wait(gen, interval, self.deadline)
        except psycopg.errors._WaitTimeout:
            # Mid-protocol, the connection can never be used again; closed, SQLAlchemy sees a disconnect and drops
            # it from the pool instead of rolling back on it (which would wait again).
            self.close()
            raise psycopg.OperationalError(f"the database did not answer within {self.deadline:g} s") from None


def bound_waits(engine: sa.Engine, timeout: float) -> None:
    """Each connection of `engine` gives up after `timeout` s (plus GRACE_S) in any one wait, and so does the server."""
    deadline = timeout + GRACE_S
    statement_ms = round(timeout * 1000)

    def connect(dialect, connection_record, cargs, cparams):
        connection = DeadlineConnection.connect(*cargs, **cparams)
        connection.deadline = deadline
        return connection

    def set_server_timeouts(dbapi_connection, connection_record):
        # A SET rather than the `options` startup parameter, which PgBouncer refuses by default.
        dbapi_connection.execute(
            "SELECT set_config('statement_timeout', %s, false), "
            "set_config('idle_in_transaction_session_timeout', %s, false)",
            (f"{statement_ms}ms", f"{statement_ms * IDLE_IN_TRANSACTION_FACTOR}ms"),
        )
        dbapi_connection.commit()

    sa.event.listen(engine, "do_connect", connect)
    sa.event.listen(engine, "connect", set_server_timeouts)


def without_row_values(context):
    """handle_error: PostgreSQL's DETAIL quotes the values a constraint refused ("Failing row contains (...)").

    hide_parameters keeps the statement's parameters out of SQLAlchemy's message, but the driver's own message
    would still carry a runner's answers into the error log with a 500's traceback; the primary message stays.
    """
    original = context.original_exception
    diag = getattr(original, "diag", None)
    if diag is None or not diag.message_detail or context.sqlalchemy_exception is None:
        return None
    original.args = (diag.message_primary or type(original).__name__,)
    return sa.exc.DBAPIError.instance(
        context.statement,
        context.parameters,
        original,
        psycopg.Error,
        hide_parameters=True,
        connection_invalidated=context.is_disconnect,
        dialect=context.dialect,
    )

"""What a runner answers never reaches a log, not even when the database fails on it (503s, 500s, any logger)."""

import contextlib
import logging
import sqlite3

import pytest
import sqlalchemy as sa

from shoefit import create_app
from shoefit.store import fittings as store_module

# A brand in a spelling no one else writes: the profile is stored as sent, so only this profile carries it.
MARKER = "nEw BAlaNcE"
# The first key (the test client sorts them): SQLAlchemy would quote only the first characters of the profile.
PROFILE = {"brands": [MARKER], "pain": {"days": 5, "severity": 4}, "width": "wide"}


class Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []
        self._format = logging.Formatter()

    def emit(self, record):
        self.records.append(record)

    def texts(self):
        for record in self.records:
            yield record.getMessage()
            yield repr(record.args)
            if record.exc_info:
                yield self._format.formatException(record.exc_info)
            yield record.exc_text or ""
            yield record.stack_info or ""


@pytest.fixture()
def logs():
    """Every record of every logger, DEBUG and up, while the test runs."""
    handler = Everything()
    loggers = [logging.getLogger()]
    loggers += [logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        if logger is loggers[0] or not logger.propagate:
            logger.addHandler(handler)
    yield handler
    for logger, level in zip(loggers, levels):
        logger.setLevel(level)
        logger.removeHandler(handler)


@pytest.fixture()
def client(store_url):
    # Not TESTING: an unhandled error becomes a logged 500, as in production.
    return create_app({"DATABASE_URL": store_url, "DATABASE_TIMEOUT": 0.5}).test_client()


def assert_private(logs, logger, level):
    assert any(r.name == logger and r.levelno == level and r.exc_info for r in logs.records), "nothing was logged"
    leaks = [text for text in logs.texts() if MARKER in text]
    assert not leaks, leaks[0]


@contextlib.contextmanager
def writes_blocked(store_url):
    """No one else may write the fittings for longer than the store waits: a 503 for a write, its parameters in hand."""
    url = sa.make_url(store_url)
    if url.get_backend_name() == "sqlite":
        blocker = sqlite3.connect(url.database, isolation_level=None)  # past the busy timeout: "database is locked"
        blocker.execute("BEGIN IMMEDIATE")
    else:
        blocker = sa.create_engine(url, poolclass=sa.NullPool).connect()  # past the statement timeout: cancelled
        blocker.exec_driver_sql("LOCK TABLE fittings IN EXCLUSIVE MODE")  # reads still pass
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


def test_a_write_the_database_does_not_answer_logs_no_answer(client, store_url, logs):
    with writes_blocked(store_url):
        response = client.post("/v1/fittings", json=PROFILE)
    assert response.status_code == 503, response.get_data(as_text=True)
    assert_private(logs, "shoefit.fittings", logging.WARNING)


def test_a_patch_that_fails_logs_neither_old_nor_new_answers(client, store_url, logs):
    opened = client.post("/v1/fittings", json=PROFILE)
    fitting, etag = opened.get_json()["id"], opened.headers["ETag"]
    with writes_blocked(store_url):
        response = client.patch(f"/v1/fittings/{fitting}", json={"width": "wide"}, headers={"If-Match": etag})
    assert response.status_code == 503, response.get_data(as_text=True)
    assert_private(logs, "shoefit.fittings", logging.WARNING)


def test_a_unique_violation_logs_no_answer(client, logs, monkeypatch):
    monkeypatch.setattr(store_module.secrets, "token_urlsafe", lambda size: "the-same-id-each-time")
    assert client.post("/v1/fittings", json=PROFILE).status_code == 201
    assert client.post("/v1/fittings", json=PROFILE).status_code == 500
    assert_private(logs, "shoefit.problems", logging.ERROR)


def test_a_row_the_database_refuses_is_not_quoted_in_the_log(client, logs, monkeypatch):
    # A NOT NULL violation: PostgreSQL's DETAIL would quote the whole row, the profile included.
    monkeypatch.setattr(store_module, "_now", lambda: None)
    assert client.post("/v1/fittings", json=PROFILE).status_code == 500
    assert_private(logs, "shoefit.problems", logging.ERROR)

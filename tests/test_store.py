import multiprocessing
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from shoefit.store.engine import sqlalchemy_url
from shoefit.store.fittings import NotFound, Store, TryOnRecord, VersionConflict
from shoefit.store.schema import MIGRATIONS, alembic_config
from shoefit.store.tables import Base, TryOnRow

PROFILE = {"width": "wide", "arch_type": "high", "symptoms": ["forefoot_pain"], "pain": {"days": 5, "note": "é"}}
THREADS = 8
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


@pytest.fixture()
def store(store_url):
    store = Store(store_url)
    yield store
    store.close()


@pytest.fixture()
def engine(store_url):
    """A plain engine on the same database, to look behind the store's back."""
    engine = sa.create_engine(sqlalchemy_url(store_url), poolclass=sa.NullPool)
    yield engine
    engine.dispose()


def _run_together(count, work):
    """work(i) in `count` threads released at the same moment; the results (or exceptions), in thread order."""
    start = threading.Barrier(count)

    def run(i):
        start.wait()
        try:
            return work(i)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _is_utc(moment):
    return moment.tzinfo is not None and moment.utcoffset() == timedelta(0)


# ------------------------------------------------------------------ fittings


def test_a_fitting_is_stored_and_read_back_as_sent(store):
    created = store.create_fitting(PROFILE)
    assert created.version == 1 and created.profile == PROFILE
    assert created.created_at == created.updated_at and _is_utc(created.created_at)
    assert len(created.id) == 22 and created.id.replace("-", "").replace("_", "").isalnum()
    read = store.get_fitting(created.id)
    assert read == created
    assert list(read.profile) == list(PROFILE)  # key order too


def test_an_update_replaces_the_profile_and_counts_the_version(store):
    created = store.create_fitting(PROFILE)
    updated = store.update_fitting(created.id, {"arch_type": "flat"}, expected_version=1)
    assert (updated.profile, updated.version, updated.created_at) == ({"arch_type": "flat"}, 2, created.created_at)
    assert updated.updated_at > created.updated_at
    assert store.update_fitting(created.id, {}, expected_version=None).version == 3
    assert store.get_fitting(created.id).profile == {}


def test_a_stale_version_conflicts_and_says_what_is_current(store):
    created = store.create_fitting(PROFILE)
    current = store.update_fitting(created.id, {"width": "narrow"}, expected_version=1)
    with pytest.raises(VersionConflict) as conflict:
        store.update_fitting(created.id, {"width": "wide"}, expected_version=1)
    assert conflict.value.current == current
    with pytest.raises(VersionConflict) as conflict:
        store.delete_fitting(created.id, expected_version=1)
    assert conflict.value.current == current
    assert store.get_fitting(created.id) == current


def test_of_concurrent_updates_from_one_version_exactly_one_wins(store):
    created = store.create_fitting(PROFILE)
    results = _run_together(THREADS, lambda i: store.update_fitting(created.id, {"writer": i}, expected_version=1))
    (winner,) = [result for result in results if not isinstance(result, Exception)]
    losers = [result for result in results if isinstance(result, Exception)]
    assert all(isinstance(loser, VersionConflict) and loser.current.version == 2 for loser in losers), losers
    assert winner.version == 2
    assert store.get_fitting(created.id) == winner


def test_a_fitting_is_deleted_with_its_tryons(store, engine):
    kept, gone = store.create_fitting(PROFILE), store.create_fitting(PROFILE)
    for fitting in (kept, gone):
        store.add_tryon(fitting.id, "brooks-ghost-16", 4, [], "kept")
    store.delete_fitting(gone.id, expected_version=1)
    with pytest.raises(NotFound):
        store.get_fitting(gone.id)
    with engine.connect() as connection:
        assert connection.scalars(sa.select(TryOnRow.fitting_id)).all() == [kept.id]
    store.delete_fitting(kept.id)
    assert store.purge(timedelta(0)) == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda store: store.get_fitting("nope"),
        lambda store: store.update_fitting("nope", PROFILE, 1),
        lambda store: store.update_fitting("nope", PROFILE, None),
        lambda store: store.delete_fitting("nope"),
        lambda store: store.delete_fitting("nope", 1),
        lambda store: store.add_tryon("nope", "brooks-ghost-16", 3, [], "undecided"),
        lambda store: store.tryons("nope"),
    ],
    ids=["get", "update", "update-unconditional", "delete", "delete-versioned", "add_tryon", "tryons"],
)
def test_an_unknown_fitting_is_not_found(store, call):
    with pytest.raises(NotFound):
        call(store)


# ------------------------------------------------------------------ try-ons


def test_a_tryon_is_activity_not_a_new_version(store):
    fitting = store.create_fitting(PROFILE)
    tryon = store.add_tryon(fitting.id, "hoka-bondi-9", 5, ("roomy toe box", "heel slips"), "returned")
    notes = ("roomy toe box", "heel slips")
    assert tryon == TryOnRecord(tryon.id, fitting.id, "hoka-bondi-9", 5, notes, "returned", tryon.created_at)
    assert _is_utc(tryon.created_at)
    assert store.tryons(fitting.id) == [tryon]
    after = store.get_fitting(fitting.id)
    assert after.version == 1 and after.updated_at == fitting.updated_at
    assert after.active_at == tryon.created_at > fitting.active_at


@pytest.mark.parametrize(("comfort", "decision"), [(0, "kept"), (6, "kept"), (True, "kept"), (3, "maybe")])
def test_a_bad_tryon_is_refused(store, comfort, decision):
    fitting = store.create_fitting(PROFILE)
    with pytest.raises(ValueError):
        store.add_tryon(fitting.id, "hoka-bondi-9", comfort, [], decision)
    assert store.tryons(fitting.id) == []


def test_concurrent_tryons_are_all_stored_in_order(store):
    fitting = store.create_fitting(PROFILE)
    per_thread = 25

    def record(thread):
        for i in range(per_thread):
            store.add_tryon(fitting.id, f"shoe-{thread}-{i}", 1 + i % 5, [f"note {i}"], "undecided")

    assert _run_together(THREADS, record) == [None] * THREADS
    tryons = store.tryons(fitting.id)
    assert len(tryons) == THREADS * per_thread
    for thread in range(THREADS):
        mine = [tryon.shoe_id for tryon in tryons if tryon.shoe_id.startswith(f"shoe-{thread}-")]
        assert mine == [f"shoe-{thread}-{i}" for i in range(per_thread)]
    assert store.get_fitting(fitting.id).version == 1


def _record_tryons(url, fitting_id, worker, count):
    store = Store(url)
    for i in range(count):
        store.add_tryon(fitting_id, f"shoe-{worker}-{i}", 3, [], "kept")
    store.close()


def test_forked_worker_processes_write_alongside_the_parent(store, store_url):
    """As gunicorn --preload does: workers forked after the parent used the store, all writing at once."""
    fitting = store.create_fitting(PROFILE)
    fork = multiprocessing.get_context("fork")
    inherited = fork.Process(target=lambda: [store.add_tryon(fitting.id, "inherited", 2, [], "kept")])
    workers = [fork.Process(target=_record_tryons, args=(store_url, fitting.id, w, 20)) for w in range(3)]
    for process in [inherited, *workers]:
        process.start()
    _record_tryons(store_url, fitting.id, "parent", 20)
    for process in [inherited, *workers]:
        process.join(60)
        assert process.exitcode == 0
    assert len(store.tryons(fitting.id)) == 4 * 20 + 1


# ------------------------------------------------------------------ purge


def test_purge_deletes_fittings_last_active_before_the_cutoff(store):
    old, new = store.create_fitting(PROFILE), store.create_fitting(PROFILE)
    # The older fitting's try-on makes it the more recently active one.
    store.add_tryon(old.id, "hoka-bondi-9", 3, [], "kept")
    old = store.get_fitting(old.id)
    assert new.active_at < old.active_at and old.updated_at < new.updated_at
    day = timedelta(days=1)
    assert store.purge(day, now=new.active_at + day) == 0  # exactly at the cutoff: kept
    assert store.purge(day, now=new.active_at + day + timedelta(microseconds=1)) == 1
    with pytest.raises(NotFound):
        store.get_fitting(new.id)
    assert store.purge(day, now=(old.active_at + day).astimezone(timezone(timedelta(hours=-5)))) == 0
    assert store.purge(day, now=old.active_at + day + timedelta(microseconds=1)) == 1
    assert store.purge(timedelta(0)) == 0


def test_purge_wants_an_aware_now(store):
    with pytest.raises(ValueError, match="naive"):
        store.purge(timedelta(days=1), now=datetime(2030, 1, 1))


# ------------------------------------------------------------------ time zones


def test_timestamps_are_utc_whatever_the_session_time_zone(database_url):
    url = sqlalchemy_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"options": f"{url.query['options']} -cTimeZone=Pacific/Auckland"})
    store = Store(url.render_as_string(hide_password=False))
    store.upgrade()
    before = datetime.now(UTC)
    fitting = store.get_fitting(store.create_fitting(PROFILE).id)
    assert fitting.created_at.tzinfo is UTC and before <= fitting.created_at <= datetime.now(UTC)
    store.close()


# ------------------------------------------------------------------ schema


def test_a_fresh_database_has_no_revision_until_upgraded(database_url):
    store = Store(database_url)
    assert store.current_revision() is None
    store.upgrade()
    assert store.current_revision() == HEAD == "0001"
    store.close()


def test_upgrading_again_changes_nothing(store):
    fitting = store.create_fitting(PROFILE)
    store.upgrade()
    assert store.current_revision() == HEAD
    assert store.get_fitting(fitting.id) == fitting


def _upgrade(url, start):
    start.wait()
    store = Store(url)
    store.upgrade()
    store.close()


def test_processes_upgrading_at_once_all_succeed(database_url):
    fork = multiprocessing.get_context("fork")
    start = fork.Barrier(4)
    processes = [fork.Process(target=_upgrade, args=(database_url, start)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0] * 4
    store = Store(database_url)
    assert store.current_revision() == HEAD
    store.close()


def test_the_migrations_build_exactly_the_models(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_the_migrations_downgrade_and_upgrade_again(store, engine):
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    with engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) == {"alembic_version"}
    store.upgrade()
    assert store.current_revision() == HEAD


# ------------------------------------------------------------------ connections


def test_sqlite_is_in_wal_mode_with_a_busy_timeout_and_foreign_keys(store, store_url):
    if not store_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    store.ping()
    with sqlite3.connect(sa.make_url(store_url).database) as outside:
        assert outside.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with store._engine.connect() as connection:
        pragmas = [connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("foreign_keys", "busy_timeout")]
    assert pragmas == [1, 5000]


def test_a_plain_postgresql_url_means_psycopg():
    assert sqlalchemy_url("postgresql://u:p@db.example/shoefit").drivername == "postgresql+psycopg"
    assert sqlalchemy_url("postgres://u@db.example/shoefit").drivername == "postgresql+psycopg"
    assert sqlalchemy_url("postgresql+psycopg2://u@db/s").drivername == "postgresql+psycopg2"
    assert sqlalchemy_url("sqlite:////tmp/x.sqlite3").drivername == "sqlite"


def test_a_plain_postgresql_url_works(store_url):
    if not store_url.startswith("postgresql+psycopg://"):
        pytest.skip("PostgreSQL only")
    store = Store(store_url.replace("postgresql+psycopg://", "postgresql://", 1))
    store.ping()
    assert store.current_revision() == HEAD
    store.close()


@pytest.mark.parametrize("url", ["postgresql://postgres@127.0.0.1:1/test", "sqlite:////nonexistent/folder/x.db"])
def test_ping_raises_when_the_database_does_not_answer(url):
    store = Store(url)
    with pytest.raises(sa.exc.OperationalError):
        store.ping()
    store.close()


def test_without_a_url_the_store_is_a_sqlite_file_in_the_instance_folder(tmp_path):
    instance = tmp_path / "var" / "shoefit-instance"
    store = Store.for_instance(None, instance)
    store.upgrade()
    assert (instance / "shoefit.sqlite3").is_file()
    store.close()
    other = tmp_path / "other.sqlite3"
    store = Store.for_instance(f"sqlite:///{other}", instance)
    store.upgrade()
    assert other.is_file()
    store.close()

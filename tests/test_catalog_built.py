"""Catalog updates off the request path: built once, loaded by the other workers, big ones in the background."""

import importlib.util
import threading
import types

import numpy as np
import pytest
from helpers import ROOT, profile
from test_admin import NEW, NEW_VERSION, OLD, OLD_VERSION, make_app, reload, served_version, upload

from shoefit.core import catalog as catalog_module
from shoefit.core import catalog_built
from shoefit.core.catalog import BUILT, Catalog
from shoefit.core.catalog_csv import CatalogError
from shoefit.core.knowledge_base import KnowledgeBase
from shoefit.core.recommender import Recommender
from shoefit.web import served_catalog as served
from shoefit.web.context import catalog_holder


@pytest.fixture()
def configured(tmp_path):
    path = tmp_path / "configured.csv"
    path.write_text(OLD)
    return path


@pytest.fixture()
def instance(tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


def assert_same_catalog(a, b):
    assert a.shoes == b.shoes and a.version == b.version and a.brands == b.brands
    for name, value in vars(a).items():
        other = vars(b)[name]
        if isinstance(value, np.ndarray):
            assert value.dtype == other.dtype and np.array_equal(value, other), name
        elif name in ("levels", "level_codes"):
            assert len(value) == len(other) and all(map(np.array_equal, value, other)), name
        elif name == "newer_versions":
            assert [list(map(np.array_equal, x, y)) for x, y in zip(value, other)] == [[True, True]] * len(value)
        elif name != "source":
            assert value == other, name


def test_a_saved_catalog_loads_back_as_the_same_catalog(tmp_path):
    catalog = Catalog.load()
    catalog_built.SHOES_A_LINE, lines = 7, catalog_built.SHOES_A_LINE  # several lines, the last one short
    try:
        catalog_built.save(catalog, tmp_path / "saved.npz")
    finally:
        catalog_built.SHOES_A_LINE = lines
    loaded = catalog_built.load(tmp_path / "saved.npz", catalog.version, "saved")
    assert_same_catalog(catalog, loaded)
    runner = profile(arch_type="high", symptoms=["forefoot_pain"], width="wide", limit=10)
    knowledge = KnowledgeBase.load()
    assert Recommender(loaded, knowledge).recommend(runner) == Recommender(catalog, knowledge).recommend(runner)


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"not an archive"),
        lambda path: path.write_bytes(path.read_bytes()[:-100]),
        lambda path: np.savez(path, meta=np.frombuffer(b"{}", np.uint8)),
        lambda path: np.savez(path, meta=np.array([object()], dtype=object)),
    ],
)
def test_a_damaged_saved_catalog_is_a_catalog_error(tmp_path, damage):
    catalog = Catalog.load()
    path = tmp_path / "saved.npz"
    catalog_built.save(catalog, path)
    damage(path)
    with pytest.raises(CatalogError, match="cannot load"):
        catalog_built.load(path, catalog.version, "saved")


def test_a_saved_catalog_of_another_version_is_refused(tmp_path):
    catalog = Catalog.load()
    catalog_built.save(catalog, tmp_path / "saved.npz")
    with pytest.raises(CatalogError, match=catalog.version):
        catalog_built.load(tmp_path / "saved.npz", "0123456789abcdef", "saved")


def test_the_other_workers_load_the_built_catalog_without_validating_it(instance, configured, monkeypatch):
    one, two = make_app(instance, configured), make_app(instance, configured)
    catalog_holder(two).interval = 0
    assert upload(one.test_client(), NEW).status_code == 200
    assert instance.joinpath(f"catalog-{NEW_VERSION}.npz").is_file()
    monkeypatch.setattr(catalog_module, "parse_bytes", lambda *_: pytest.fail("validated again"))
    assert served_version(two.test_client()) == NEW_VERSION
    # A restart loads it the same way.
    assert served_version(make_app(instance, configured).test_client()) == NEW_VERSION


def test_without_a_usable_built_file_a_worker_validates_the_csv(instance, configured, caplog):
    one, two = make_app(instance, configured), make_app(instance, configured)
    catalog_holder(two).interval = 0
    assert upload(one.test_client(), NEW).status_code == 200
    instance.joinpath(f"catalog-{NEW_VERSION}.npz").write_bytes(b"damaged")
    assert served_version(two.test_client()) == NEW_VERSION
    assert any("validating" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")


@pytest.fixture()
def slow_load(monkeypatch):
    """Every catalog bigger than nothing loads in the background, and each load waits for `go`."""
    monkeypatch.setattr(served, "INLINE_BYTES", 0)
    go, begun, loads = threading.Event(), threading.Event(), []
    load = catalog_built.load

    def waiting_load(*args):
        loads.append(threading.current_thread())
        begun.set()
        assert go.wait(10)
        return load(*args)

    monkeypatch.setattr(catalog_built, "load", waiting_load)
    return types.SimpleNamespace(go=go, begun=begun, loads=loads)


def test_a_big_catalog_loads_in_the_background_while_the_old_one_serves(instance, configured, slow_load):
    one, two = make_app(instance, configured), make_app(instance, configured)
    holder = catalog_holder(two)
    holder.interval = 0
    assert upload(one.test_client(), NEW).status_code == 200
    client = two.test_client()
    for _ in range(5):
        assert served_version(client) == OLD_VERSION
    # The load thread may not have had the GIL yet: a handful of quick requests need not let go of it.
    assert slow_load.begun.wait(10)
    assert served_version(client) == OLD_VERSION
    assert len(slow_load.loads) == 1 and slow_load.loads[0] is not threading.current_thread()
    slow_load.go.set()
    holder._loading.join(10)
    assert served_version(client) == NEW_VERSION


def test_an_upload_during_a_background_load_is_what_serves(instance, configured, slow_load):
    one, two = make_app(instance, configured), make_app(instance, configured)
    holder = catalog_holder(two)
    holder.interval = 0
    assert upload(one.test_client(), NEW).status_code == 200
    client = two.test_client()
    assert served_version(client) == OLD_VERSION  # the load of NEW has begun
    assert reload(client).get_json()["catalog"]["version"] == OLD_VERSION
    slow_load.go.set()
    holder._loading.join(10)
    assert served_version(client) == OLD_VERSION


def test_a_worker_forked_after_an_upload_catches_up_before_it_serves(instance, configured, slow_load):
    master = make_app(instance, configured)  # loaded before the upload, as gunicorn's master with preload_app
    assert upload(make_app(instance, configured).test_client(), NEW).status_code == 200
    slow_load.go.set()
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    conf.post_worker_init(types.SimpleNamespace(wsgi=master))
    # However big the catalog, loaded at once, in the worker's own thread: its first answer is from it.
    assert slow_load.loads == [threading.current_thread()]
    assert catalog_holder(master).served_catalog().catalog.version == NEW_VERSION
    assert served_version(master.test_client()) == NEW_VERSION


def test_a_catalog_keeps_the_same_arrays_whether_built_or_given(tmp_path):
    catalog = Catalog.load()
    rebuilt = Catalog(catalog.shoes, catalog.version, "again", built=catalog.built_arrays())
    assert set(catalog.built_arrays()) == set(BUILT)
    assert_same_catalog(catalog, rebuilt)

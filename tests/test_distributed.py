"""The Dask engine: the local engine's output, chunk for chunk, on a real cluster."""

import importlib
import random
import subprocess
import sys

import pytest

pytest.importorskip("distributed", reason="the Dask engine needs dask[distributed]: pip install 'shoefit[dask]'")

from distributed import LocalCluster  # noqa: E402

from shoefit.batch import BatchEngine  # noqa: E402
from shoefit.catalog import RATING_COLUMNS, Catalog, bundled_catalog_path  # noqa: E402
from shoefit.distributed import DaskEngine, _EnginePlugin  # noqa: E402
from shoefit.profile import Profile  # noqa: E402
from shoefit.vocabulary import ENUMS  # noqa: E402

from helpers import catalog_csv, profile, shoe_row  # noqa: E402

TOP = 7


@pytest.fixture(scope="module")
def cluster():
    # Processes, as on a real cluster: each worker has its own engine to count, and
    # profiles and Picks really are pickled. Two start in one to three seconds.
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=":0") as cluster:
        yield cluster


def generated_catalog_bytes(seed=7, n=40):
    rng = random.Random(seed)
    ratings = ["1", "2", "2.5", "3", "3.5", "4", "4.5", "5"]
    rows = [
        shoe_row(
            id=f"gen-{i:03d}",
            brand=rng.choice(["Alpha", "Beta", "Gamma"]),
            terrain=rng.choice(["road", "trail", "track"]),
            widths=rng.choice(["standard", "narrow|standard", "standard|wide", "wide|extra_wide"]),
            price=str(rng.choice([90, 120, 140, 180, 220])),
            weight_g=str(rng.choice([200, 240, 280])),
            **{column: rng.choice(ratings) for column in RATING_COLUMNS},
        )
        for i in range(n)
    ]
    return catalog_csv(rows).encode()


def random_profiles(rng, brands, n):
    """Profiles from the whole vocabulary, each answer given about half the time."""

    def maybe(make):
        return make() if rng.random() < 0.5 else None

    def one(name):
        return rng.choice(list(ENUMS[name]))

    def some(name, k=3):
        return rng.sample(list(ENUMS[name]), rng.randint(0, k))

    for _ in range(n):
        raw = {
            "arch_type": maybe(lambda: one("arch_type")),
            "pronation": maybe(lambda: one("pronation")),
            "fit_issues": maybe(lambda: some("fit_issues")),
            "symptoms": maybe(lambda: some("symptoms")),
            "conditions": maybe(lambda: some("conditions", 1)),
            "pain": maybe(
                lambda: {"days": rng.randint(0, 30), "severity": rng.randint(0, 10), "character": one("pain.character")}
            ),
            "training": maybe(lambda: {"weekly_km": rng.choice([10, 90]), "weekly_increase_pct": rng.choice([0, 25])}),
            "width": maybe(lambda: one("width")),
            "terrain": maybe(lambda: one("terrain")),
            "max_price": maybe(lambda: rng.choice([80, 120, 150.5, 250])),
            "brands": maybe(lambda: rng.sample(brands, rng.randint(1, 2))),
            "exclude_brands": maybe(lambda: rng.sample(brands, 1)),
        }
        yield profile(**{k: v for k, v in raw.items() if v is not None})


def worker_builds(engine):
    version = engine.catalog.version
    # A lambda travels by value and reads the counter of the worker's own module.
    return engine.client.run(lambda: sys.modules["shoefit.distributed"].BUILDS[version])


@pytest.mark.parametrize(
    ("catalog_bytes", "chunk"),
    [(bundled_catalog_path().read_bytes(), 250), (generated_catalog_bytes(), 97)],
    ids=["bundled", "generated"],
)
def test_same_picks_in_the_same_order_as_the_local_engine(cluster, knowledge, catalog_bytes, chunk):
    catalog = Catalog.from_bytes(catalog_bytes, "catalog.csv")
    rng = random.Random(chunk)
    records = [(f"runner-{i}", p) for i, p in enumerate(random_profiles(rng, catalog.brands, 3000))]
    local = list(BatchEngine(catalog, knowledge, top=TOP).score_stream(records, chunk))
    # A window of 3 chunks, far fewer than the 13 to 31 chunks, so backpressure is exercised.
    with DaskEngine(catalog_bytes, top=TOP, scheduler=cluster.scheduler_address, max_in_flight=3) as engine:
        before = worker_builds(engine)
        assert list(engine.score_stream(iter(records), chunk)) == local
        assert worker_builds(engine) == before  # built once at registration, never per task
    assert any(picks.ids for _, picks in local) and any(not picks.ids for _, picks in local)
    assert any(picks.warnings for _, picks in local)


def test_the_catalog_is_built_once_per_worker(cluster):
    catalog_bytes = generated_catalog_bytes(seed=99)
    with DaskEngine(catalog_bytes, top=3, scheduler=cluster.scheduler_address, max_in_flight=4) as engine:
        profiles = list(random_profiles(random.Random(1), engine.catalog.brands, 400))
        assert len(engine.score(profiles)) == 400
        assert list(worker_builds(engine).values()) == [1, 1]


def test_an_error_in_a_task_reaches_the_caller(cluster, catalog, knowledge):
    # Unchecked, an unknown brand fails inside scoring, as it does locally.
    records = [(i, profile(arch_type="flat")) for i in range(50)] + [(50, Profile(brands=("Nosuchbrand",)))]
    with pytest.raises(KeyError):
        list(BatchEngine(catalog, knowledge).score_stream(records, chunk=10))
    with DaskEngine(None, scheduler=cluster.scheduler_address, max_in_flight=2) as engine:
        with pytest.raises(KeyError, match="nosuchbrand"):
            list(engine.score_stream(records, chunk=10))
        assert len(list(engine.score_stream(records[:50], chunk=10))) == 50  # still usable


def test_without_a_scheduler_a_local_cluster_is_started_and_closed(catalog, knowledge):
    records = [(i, profile(width="wide", max_price=150)) for i in range(20)]
    local = list(BatchEngine(catalog, knowledge, top=4).score_stream(records, 6))
    with DaskEngine(top=4, n_workers=1, processes=False, dashboard_address=":0") as engine:
        cluster = engine._cluster
        assert list(engine.score_stream(records, chunk=6)) == local
    assert cluster.status.name == "closed"
    assert engine.client is None


def test_workers_with_another_shoefit_version_are_refused():
    plugin = _EnginePlugin(bundled_catalog_path().read_bytes(), "catalog.csv", None, None, TOP)
    plugin.version = "0.0.1"
    with pytest.raises(RuntimeError, match="same version"):
        plugin.setup(worker=None)


def test_the_local_engine_and_cli_never_import_dask():
    code = "import sys, shoefit, shoefit.batch, shoefit.cli; print(sorted({'dask', 'distributed'} & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_without_dask_the_import_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "shoefit.distributed")
    with pytest.raises(ImportError, match=r"pip install 'shoefit\[dask\]'"):
        importlib.import_module("shoefit.distributed")

"""The Dask engine: the local engine's output, chunk for chunk, on a real cluster."""

import functools
import importlib
import random
import re
import sys
import time
from types import SimpleNamespace

import pytest

pytest.importorskip("distributed", reason="the Dask engine needs dask[distributed]: pip install 'shoefit[dask]'")

from distributed import Client, LocalCluster  # noqa: E402

import shoefit.batch.dask_engine  # noqa: E402
from shoefit.batch import score_file  # noqa: E402
from shoefit.batch.sources import Sources  # noqa: E402
from shoefit.batch.engine import BatchEngine  # noqa: E402
from shoefit.core.catalog import Catalog, bundled_catalog_path
from shoefit.core.catalog_csv import RATING_COLUMNS  # noqa: E402
from shoefit.cli import main  # noqa: E402
from shoefit.batch.dask_engine import ClusterError, DaskEngine, _PerWorker  # noqa: E402
from shoefit.core.profile import Profile  # noqa: E402
from shoefit.core.vocabulary import ENUMS  # noqa: E402

from helpers import catalog_csv, loaded_by, profile, shoe_row  # noqa: E402
from test_cli_batch import RUNNERS, interrupt_on_third_chunk, listing, write_csv, write_jsonl  # noqa: E402

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


def random_profiles(rng, catalog, n):
    """Profiles from the whole vocabulary, each answer given about half the time."""
    brands, shoe_ids = catalog.brands, [shoe["id"] for shoe in catalog.shoes]

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
            "use": maybe(lambda: one("use")),
            "use_only": maybe(lambda: rng.random() < 0.2),
            "body_weight_kg": maybe(lambda: rng.choice([52, 75, 95.5])),
            "cushion_feel": maybe(lambda: one("cushion_feel")),
            "drop": maybe(lambda: one("drop")),
            "experience": maybe(lambda: one("experience")),
            "current_shoe": maybe(lambda: {"id": rng.choice(shoe_ids), "liked": rng.random() < 0.5}),
            "shortlist": maybe(lambda: rng.random() < 0.7),
        }
        yield profile(**{k: v for k, v in raw.items() if v is not None})


def worker_builds(client, version):
    # A lambda travels by value and reads the counter of the worker's own module.
    return client.run(lambda: sys.modules["shoefit.batch.dask_engine"].BUILDS[version])


@pytest.mark.parametrize(
    ("catalog_bytes", "chunk"),
    [(bundled_catalog_path().read_bytes(), 250), (generated_catalog_bytes(), 97)],
    ids=["bundled", "generated"],
)
def test_same_picks_in_the_same_order_as_the_local_engine(cluster, knowledge, catalog_bytes, chunk):
    catalog = Catalog.from_bytes(catalog_bytes, "catalog.csv")
    rng = random.Random(chunk)
    records = [(f"runner-{i}", p) for i, p in enumerate(random_profiles(rng, catalog, 3000))]
    local = list(BatchEngine(catalog, knowledge, top=TOP).score_stream(records, chunk))
    # A window of 3 chunks, far fewer than the 13 to 31 chunks, so backpressure is exercised.
    with DaskEngine(catalog_bytes, top=TOP, scheduler=cluster.scheduler_address, max_in_flight=3) as engine:
        before = worker_builds(engine.client, catalog.version)
        assert list(engine.score_stream(iter(records), chunk)) == local
        assert worker_builds(engine.client, catalog.version) == before  # built once at registration, never per task
    assert any(picks.ids for _, picks in local) and any(not picks.ids for _, picks in local)
    assert any(picks.warnings for _, picks in local)


def test_the_catalog_is_built_once_per_worker(cluster):
    catalog_bytes = generated_catalog_bytes(seed=99)
    with DaskEngine(catalog_bytes, top=3, scheduler=cluster.scheduler_address, max_in_flight=4) as engine:
        profiles = list(random_profiles(random.Random(1), engine.catalog, 400))
        assert len(engine.score(profiles)) == 400
        assert list(worker_builds(engine.client, engine.catalog.version).values()) == [1, 1]


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
    plugin = _PerWorker(Sources.read(), functools.partial(BatchEngine, top=TOP))
    plugin.version = "0.0.1"
    with pytest.raises(ClusterError, match=r"worker tcp://w:1 runs shoefit .*, this machine 0\.0\.1: install the same"):
        plugin.setup(worker=SimpleNamespace(address="tcp://w:1"))


def test_the_local_engine_and_cli_never_import_dask():
    modules = ("shoefit", "shoefit.batch.engine", "shoefit.batch.score_file", "shoefit.cli")
    assert loaded_by(modules, ("dask", "distributed")) == []


def test_without_dask_the_import_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "shoefit.batch.dask_engine")
    with pytest.raises(ImportError, match=r"pip install 'shoefit\[dask\]'"):
        importlib.import_module("shoefit.batch.dask_engine")


# ------------------------------------------------------------------ shoefit score --engine dask

# Rows scored, and rows rejected by the schema and by the catalog (whose brands are Alpha, Beta and Gamma).
CLI_RUNNERS = [
    *RUNNERS,
    ("alpha-wide", {"brands": ["alpha"], "width": "wide", "terrain": "trail"}),
    ("bad-enum", {"arch_type": "flatt"}),
    ("bad-number", {"max_price": "abc", "pain": {"days": "x"}}),
]


def score_with(engine, source, tmp_path, output_ext, rejects_ext, capsys, *more):
    out, rejects = tmp_path / f"{engine}.{output_ext}", tmp_path / f"{engine}-rejects.{rejects_ext}"
    code = main(["score", source, "-o", str(out), "--rejects", str(rejects), "--engine", engine, *more])
    summary = re.search(r"read \d+, scored \d+, rejected \d+", capsys.readouterr().err).group()
    return code, summary, out.read_bytes(), rejects.read_bytes()


@pytest.mark.parametrize(
    ("source_ext", "output_ext", "rejects_ext", "seed"),
    [("csv", "csv", "csv", 11), ("csv", "parquet", "jsonl", 12), ("jsonl", "jsonl", "csv", 13)],
)
def test_the_cli_on_a_cluster_writes_the_local_files_byte_for_byte(
    cluster, tmp_path, capsys, source_ext, output_ext, rejects_ext, seed
):
    catalog_bytes = generated_catalog_bytes(seed)  # a catalog of its own, so the workers' builds can be counted
    (tmp_path / "catalog.csv").write_bytes(catalog_bytes)
    source = (write_csv if source_ext == "csv" else write_jsonl)(tmp_path / f"runners.{source_ext}", CLI_RUNNERS * 8)
    # 16 chunks: more than the window of 8 (twice the cluster's threads), and several per worker.
    options = (tmp_path, output_ext, rejects_ext, capsys, "--catalog", str(tmp_path / "catalog.csv"), "--chunk", "5")
    local = score_with("local", source, *options, "--jobs", "1")
    dask = score_with("dask", source, *options, "--scheduler", cluster.scheduler_address)
    assert dask == local
    # Per copy of CLI_RUNNERS, 6 rejected: two brands and two current shoes not in this catalog, two bad cells.
    assert local[:2] == (1, f"read {8 * len(CLI_RUNNERS)}, scored {8 * (len(CLI_RUNNERS) - 6)}, rejected {8 * 6}")
    with Client(cluster.scheduler_address) as client:
        version = Catalog.from_bytes(catalog_bytes, "catalog.csv").version
        assert list(worker_builds(client, version).values()) == [1, 1]
        assert not shoefit_plugins(client)  # closing freed the workers' copies of the catalog


def shoefit_plugins(client):
    names = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.worker_plugins))
    return [name for name in names if name.startswith("shoefit-")]


def test_stage_seconds_come_back_from_the_workers(cluster, tmp_path, catalog, knowledge):
    source = write_csv(tmp_path / "runners.csv", RUNNERS * 20)
    summary = score_file.score_file(
        source, tmp_path / "picks.csv", sources=Sources.read(), catalog=catalog, knowledge=knowledge, chunk=10,
        engine="dask", scheduler=cluster.scheduler_address,
    )  # fmt: skip
    assert summary.read == summary.scored == 20 * len(RUNNERS)
    assert all(summary.seconds[stage] > 0 for stage in ("validate", "score", "format", "write"))


def test_an_interrupted_run_on_a_cluster_leaves_the_old_files_and_frees_the_cluster(cluster, tmp_path, monkeypatch):
    source = write_csv(tmp_path / "runners.csv", RUNNERS * 4)
    out, rejects = tmp_path / "picks.csv", tmp_path / "rejects.csv"
    out.write_text("old picks")
    rejects.write_text("old rejects")
    monkeypatch.setattr(score_file.Summary, "add", ctrl_c_after_two_chunks(score_file.Summary.add))
    args = ["score", source, "-o", str(out), "--rejects", str(rejects), "--chunk", "2", "--engine", "dask"]
    assert main([*args, "--scheduler", cluster.scheduler_address]) == 130
    assert out.read_text() == "old picks" and rejects.read_text() == "old rejects"
    assert listing(tmp_path) == ["picks.csv", "rejects.csv", "runners.csv"]
    with Client(cluster.scheduler_address) as client:
        assert not shoefit_plugins(client)
        deadline = time.monotonic() + 5
        while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) == 0


def ctrl_c_after_two_chunks(add):
    """Summary.add, with Ctrl-C in the caller after the second chunk: the next ones are still on the workers."""

    def add_then_stop(summary, result):
        add(summary, result)
        if summary.read == 4:
            raise KeyboardInterrupt

    return add_then_stop


@pytest.fixture()
def started_clusters(monkeypatch):
    """The LocalClusters `--engine dask` starts without a scheduler; in this process, to start in a moment."""
    started = []

    def local_cluster(**options):
        started.append(LocalCluster(n_workers=1, processes=False, dashboard_address=":0", **options))
        return started[-1]

    monkeypatch.setattr(shoefit.batch.dask_engine, "LocalCluster", local_cluster)
    return started


def test_without_a_scheduler_the_cli_starts_a_local_cluster_and_stops_it(tmp_path, started_clusters):
    source = write_csv(tmp_path / "runners.csv", RUNNERS * 3)
    alone, dask = tmp_path / "alone.parquet", tmp_path / "dask.parquet"
    assert main(["score", source, "-o", str(alone), "--chunk", "4", "--jobs", "1", "--quiet"]) == 0
    assert main(["score", source, "-o", str(dask), "--chunk", "4", "--engine", "dask", "--quiet"]) == 0
    assert dask.read_bytes() == alone.read_bytes()
    [started] = started_clusters
    assert started.status.name == "closed"


def test_an_error_on_a_worker_stops_the_run_and_the_cluster(tmp_path, monkeypatch, started_clusters):
    source = write_csv(tmp_path / "runners.csv", RUNNERS * 2)
    out = tmp_path / "picks.csv"
    out.write_text("old picks")
    interrupt_on_third_chunk(monkeypatch, boom)  # the workers run in this process: they see the patch
    with pytest.raises(RuntimeError, match="boom"):
        main(["score", source, "-o", str(out), "--chunk", "2", "--engine", "dask"])
    assert out.read_text() == "old picks"
    assert listing(tmp_path) == ["picks.csv", "runners.csv"]
    assert started_clusters[0].status.name == "closed"


def boom():
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("address", "reason"),
    [("tcp://127.0.0.1:1", "Timed out trying to connect to tcp://127.0.0.1:1 after 1 s"), ("nonsense", "missing port")],
)
def test_a_scheduler_that_does_not_answer_exits_2_in_time(tmp_path, monkeypatch, capsys, address, reason):
    monkeypatch.setattr(shoefit.batch.dask_engine, "CONNECT_TIMEOUT", 1)
    source = write_csv(tmp_path / "runners.csv", RUNNERS)
    start = time.monotonic()
    assert main(["score", source, "-o", str(tmp_path / "picks.csv"), "--engine", "dask", "--scheduler", address]) == 2
    assert time.monotonic() - start < 5
    assert f"shoefit: cannot reach the Dask scheduler at {address}: {reason}" in capsys.readouterr().err
    assert listing(tmp_path) == ["runners.csv"]


def test_workers_with_another_shoefit_version_refuse_the_run(cluster, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shoefit.batch.dask_engine, "_shoefit_version", lambda: "0.0.1")  # here, not on the workers
    source = write_csv(tmp_path / "runners.csv", RUNNERS)
    args = ["score", source, "-o", str(tmp_path / "picks.csv"), "--engine", "dask"]
    assert main([*args, "--scheduler", cluster.scheduler_address]) == 2
    assert re.search(r"worker tcp://\S+ runs shoefit \S+, this machine 0\.0\.1: install the", capsys.readouterr().err)
    assert listing(tmp_path) == ["runners.csv"]
    with Client(cluster.scheduler_address) as client:
        assert not shoefit_plugins(client)  # or every worker joining later would fail to set it up again

"""`shoefit score` and `shoefit grid`: files in, files out, exit codes, nothing half-written."""

import csv
import gc
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time

import orjson
import pyarrow.parquet as pq
import pytest

import shoefit.batch
from shoefit.batch.engine import BatchEngine
from shoefit.cli import main
from shoefit.core.recommender import Recommender
from shoefit.core.vocabulary import ARCH_TYPES, PRONATIONS, USES

from helpers import ROOT, catalog_csv, profile, shoe_row

HEADER = [
    "id", "arch_type", "pronation", "fit_issues", "symptoms", "conditions", "pain_days", "pain_severity",
    "pain_character", "pain_timing", "pain_despite_rest", "training_weekly_km", "training_weekly_increase_pct",
    "training_surface", "width", "max_price", "terrain", "brands", "exclude_brands", "limit", "use", "use_only",
    "body_weight_kg", "cushion_feel", "drop", "experience", "current_shoe_id", "current_shoe_liked", "shortlist",
]  # fmt: skip
RUNNERS = [
    ("plain", {}),
    ("high-forefoot", {"arch_type": "high", "symptoms": ["forefoot_pain"], "pain": {"days": 5, "severity": 4}}),
    (
        "flat-over",
        {"arch_type": "flat", "pronation": "overpronation", "fit_issues": ["too_tight", "blisters"], "width": "wide"},
    ),
    (
        "trail",
        {
            "pronation": "neutral",
            "terrain": "trail",
            "brands": ["salomon", "HOKA"],
            "training": {"weekly_km": 55.5, "weekly_increase_pct": 20, "surface": "trail"},
        },
    ),
    ("cheap", {"max_price": 120, "exclude_brands": ["Nike"], "conditions": ["diabetes"], "symptoms": ["swelling"]}),
    (
        "nothing-fits",  # no shoe passes: one row, its warnings kept
        {"symptoms": ["cannot_bear_weight"], "max_price": 1, "pain": {"despite_rest": True, "character": "sharp"}},
    ),
    ("three", {"pronation": "underpronation", "limit": 3}),
    (
        "race-heavy",
        {"use": "race", "use_only": True, "body_weight_kg": 95.5, "cushion_feel": "soft", "experience": "beginner"},
    ),
    ("loves-pegasus", {"current_shoe": {"id": "nike-pegasus-41", "liked": True}, "drop": "high", "use": "tempo"}),
    ("dislikes-ghost", {"current_shoe": {"id": "brooks-ghost-17", "liked": False}, "shortlist": False}),
]


def csv_cell(column, body):
    group, _, key = column.partition("_")
    if column.startswith("current_shoe_"):
        value = body.get("current_shoe", {}).get(column.removeprefix("current_shoe_"))
    elif group in ("pain", "training"):
        value = body.get(group, {}).get(key)
    else:
        value = body.get(column)
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def write_csv(path, runners, header=HEADER):
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for key, body in runners:
            out.writerow([key if c == "id" else csv_cell(c, body) for c in header])
    return str(path)


def write_jsonl(path, runners):
    path.write_bytes(b"".join(orjson.dumps({"id": key, **body}) + b"\n" for key, body in runners))
    return str(path)


def read_rows(path):
    """Output rows as (profile_id, rank, shoe_id, score, warnings), whatever the format."""
    path = str(path)
    if path.endswith(".parquet"):
        rows = pq.read_table(path).to_pylist()
    elif path.endswith(".jsonl"):
        rows = [json.loads(line) for line in open(path)]
    else:
        with open(path, newline="") as fh:
            rows = [
                {**r, "rank": int(r["rank"]) if r["rank"] else None, "score": float(r["score"]) if r["score"] else None}
                for r in csv.DictReader(fh)
            ]
    return [(r["profile_id"], r["rank"], r["shoe_id"] or None, r["score"], r["warnings"], r["triage"]) for r in rows]


def expected_rows(catalog, knowledge, runners, top=10):
    """What the single-request recommender answers for each runner, as output rows."""
    single = Recommender(catalog, knowledge)
    rows = []
    for key, body in runners:
        answer = single.recommend(profile(**{**body, "limit": min(body.get("limit", top), top)}))
        warnings = "|".join(w["code"] for w in answer["warnings"])
        state = answer["triage"]["state"]
        picks = answer["recommendations"]
        rows += [(key, p["rank"], p["id"], p["score"], warnings, state) for p in picks] or [
            (key, None, None, None, warnings, state)
        ]
    return rows


def listing(directory):
    return sorted(p.name for p in directory.iterdir())


def test_csv_and_jsonl_inputs_give_the_single_request_picks_in_every_output_format(tmp_path, catalog, knowledge):
    sources = [write_csv(tmp_path / "runners.csv", RUNNERS), write_jsonl(tmp_path / "runners.jsonl", RUNNERS)]
    wanted = expected_rows(catalog, knowledge, RUNNERS)
    [nothing_fits] = [row for row in wanted if row[0] == "nothing-fits"]
    assert nothing_fits[1:4] == (None, None, None) and "cannot_bear_weight" in nothing_fits[4].split("|")
    assert sum(row[0] == "three" for row in wanted) == 3
    outputs = []
    for source in sources:
        for ext in ("csv", "jsonl", "parquet"):
            out = tmp_path / f"{os.path.basename(source)}.{ext}"
            assert main(["score", source, "-o", str(out), "--quiet"]) == 0
            assert read_rows(out) == wanted
            outputs.append(out)
    csv_from_csv, csv_from_jsonl = outputs[0], outputs[3]
    assert csv_from_csv.read_bytes() == csv_from_jsonl.read_bytes()


def test_top_and_chunks_do_not_change_the_picks(tmp_path, catalog, knowledge):
    source = write_csv(tmp_path / "runners.csv", RUNNERS * 3)
    out = tmp_path / "picks.csv"
    assert main(["score", source, "-o", str(out), "--top", "4", "--chunk", "2", "--jobs", "1", "--quiet"]) == 0
    assert read_rows(out) == expected_rows(catalog, knowledge, RUNNERS * 3, top=4)


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_is_scored(tmp_path, catalog, knowledge, capsys):
    source = tmp_path / "runners.csv"
    write_csv(source, RUNNERS[:2], header=HEADER[:20])  # the 20 columns the rows below are written for
    with open(source, "a") as fh:
        fh.write("bad-enum,flatt" + "," * 18 + "\n")
        fh.write("\n")  # blank lines are skipped, not rejected
        fh.write("bad-number,,,,,,abc" + "," * 13 + "\n")
        fh.write("unknown-brand" + "," * 17 + "Nobrand,,\n")
        fh.write("short-row,high\n")
        fh.write('"unclosed,quote' + "," * 19 + "\n")
    out, rejects = tmp_path / "picks.parquet", tmp_path / "rejects.csv"
    assert main(["score", str(source), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 1
    assert read_rows(out) == expected_rows(catalog, knowledge, RUNNERS[:2])
    with open(rejects, newline="") as fh:
        got = [(int(r["line"]), r["id"], r["field"], r["value"], r["reason"]) for r in csv.DictReader(fh)]
    assert got[:4] == [
        (4, "bad-enum", "arch_type", "flatt", "must be one of: flat, neutral, high, unknown"),
        (6, "bad-number", "pain_days", "abc", "Not a valid integer."),
        (7, "unknown-brand", "brands", "Nobrand", "no brand 'Nobrand' in the catalog"),
        (8, "", "", "", "expected 20 cells, found 2"),
    ]
    assert got[4][0] == 9 and got[4][4].startswith("malformed CSV")
    assert len(got) == 5
    err = capsys.readouterr().err
    assert "shoefit score:" not in err  # --quiet: no summary
    assert "more; --rejects FILE keeps them all" not in err  # they are all in the rejects file


def test_malformed_json_lines_are_rejected_as_jsonl_rejects(tmp_path, catalog, knowledge):
    source = tmp_path / "runners.jsonl"
    write_jsonl(source, RUNNERS[:1])
    with open(source, "ab") as fh:
        fh.write(b'{"id": "cut", "arch_type": "hi\n')
        fh.write(b"[1, 2]\n")
        fh.write(b'{"id": "typo", "symptom": ["forefoot_pain"]}\n')
        fh.write(b'{"id": "nested", "pain": {"severity": 11}}\n')
        fh.write(b'{"id": {"x": 1}}\n')
    out, rejects = tmp_path / "picks.jsonl", tmp_path / "rejects.jsonl"
    assert main(["score", str(source), "-o", str(out), "--rejects", str(rejects), "--quiet"]) == 1
    assert read_rows(out) == expected_rows(catalog, knowledge, RUNNERS[:1])
    got = [json.loads(line) for line in open(rejects)]
    assert [(r["line"], r["id"], r["field"]) for r in got] == [
        (2, "", ""),
        (3, "", ""),
        (4, "typo", "symptom"),
        (5, "nested", "pain.severity"),
        (6, "", "id"),
    ]
    assert got[0]["reason"].startswith("malformed JSON") and got[1]["reason"] == "expected a JSON object"
    assert got[2]["reason"] == "Unknown field." and got[3]["value"] == "11"


def test_without_a_rejects_file_the_first_rejects_go_to_stderr_with_a_count(tmp_path, capsys):
    source = tmp_path / "runners.csv"
    write_csv(source, [(f"r{i}", {"arch_type": "flatt"}) for i in range(30)] + RUNNERS[:1])
    out = tmp_path / "picks.csv"
    assert main(["score", str(source), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{source}: line 2, id 'r0': arch_type: value 'flatt': must be one of" in err
    assert err.count("value 'flatt'") == 20
    assert "... and 10 more; --rejects FILE keeps them all" in err
    assert "read 31, scored 1, rejected 30;" in err
    assert len(read_rows(out)) == 10


def test_a_header_typo_refuses_the_whole_file(tmp_path, capsys):
    source = write_csv(tmp_path / "runners.csv", RUNNERS, header=[*HEADER[:3], "symptom", *HEADER[4:]])
    out = tmp_path / "picks.csv"
    assert main(["score", source, "-o", str(out), "--rejects", str(tmp_path / "rejects.csv")]) == 2
    assert "unknown column 'symptom' (did you mean 'symptoms'?)" in capsys.readouterr().err
    assert listing(tmp_path) == ["runners.csv"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.csv", "-o", "out.csv"], "missing.csv: cannot read"),
        (["runners.csv", "-o", "out.xlsx"], "the output file must end in .csv, .jsonl, .parquet"),
        (["runners.txt", "-o", "out.csv"], "the profiles file must end in .csv, .jsonl, .ndjson"),
        (["runners.csv", "-o", "out.csv", "--rejects", "./out.csv"], "must be three different files"),
    ],
)
def test_file_problems_exit_2_and_write_nothing(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "runners.csv", RUNNERS)
    assert main(["score", *args]) == 2
    assert message in capsys.readouterr().err
    assert listing(tmp_path) == ["runners.csv"]


def test_a_scheduler_without_the_dask_engine_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["score", "runners.csv", "-o", "out.csv", "--scheduler", "tcp://127.0.0.1:8786"])
    assert stop.value.code == 2
    assert "shoefit score: error: --scheduler ADDRESS needs --engine dask" in capsys.readouterr().err


def test_the_dask_engine_without_dask_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "shoefit.batch.dask_engine", raising=False)
    monkeypatch.delattr(shoefit.batch, "dask_engine", raising=False)  # or `from . import dask_engine` finds it there
    source = write_csv(tmp_path / "runners.csv", RUNNERS)
    assert main(["score", source, "-o", str(tmp_path / "picks.csv"), "--engine", "dask"]) == 2
    assert "pip install 'shoefit[dask]'" in capsys.readouterr().err
    assert listing(tmp_path) == ["runners.csv"]


def test_an_invalid_catalog_lists_every_problem_and_exits_2(tmp_path, capsys):
    store = tmp_path / "store.csv"
    store.write_text(catalog_csv([shoe_row(id="a", toe_box="7"), shoe_row(id="b", widths="huge")]))
    source = write_csv(tmp_path / "runners.csv", RUNNERS)
    assert main(["score", source, "-o", str(tmp_path / "out.csv"), "--catalog", str(store)]) == 2
    err = capsys.readouterr().err
    assert "column 'toe_box': value '7'" in err and "column 'widths': value 'huge'" in err
    assert not (tmp_path / "out.csv").exists()


def interrupt_on_third_chunk(monkeypatch, how):
    real = BatchEngine.score_runners
    calls = []

    def score_runners(self, runners, limits=None):
        calls.append(1)
        if len(calls) == 3:
            how()
        return real(self, runners, limits)

    monkeypatch.setattr(BatchEngine, "score_runners", score_runners)


def boom():
    raise RuntimeError("boom")


def ctrl_c():
    raise KeyboardInterrupt


def sigterm():
    os.kill(os.getpid(), signal.SIGTERM)


@pytest.mark.parametrize("how, code", [(boom, None), (ctrl_c, 130), (sigterm, 143)])
@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_an_interrupted_run_leaves_the_old_files_and_no_temporary_ones(tmp_path, monkeypatch, how, code, ext):
    source = write_csv(tmp_path / "runners.csv", RUNNERS * 2)
    out, rejects = tmp_path / f"picks.{ext}", tmp_path / "rejects.csv"
    out.write_text("old picks")
    rejects.write_text("old rejects")
    interrupt_on_third_chunk(monkeypatch, how)
    args = ["score", source, "-o", str(out), "--rejects", str(rejects), "--chunk", "2", "--jobs", "1"]
    if code is None:
        with pytest.raises(RuntimeError, match="boom"):
            main(args)
    else:
        assert main(args) == code
    assert out.read_text() == "old picks" and rejects.read_text() == "old rejects"
    assert listing(tmp_path) == sorted(["runners.csv", out.name, "rejects.csv"])


def test_worker_processes_give_the_same_file_and_sigterm_stops_them_cleanly(tmp_path):
    source = write_csv(tmp_path / "runners.csv", RUNNERS * 3)
    alone, pooled = tmp_path / "alone.csv", tmp_path / "pooled.csv"
    assert main(["score", source, "-o", str(alone), "--chunk", "4", "--jobs", "1", "--quiet"]) == 0
    run = subprocess.run(
        [sys.executable, "-m", "shoefit.cli", "score", source, "-o", str(pooled), "--chunk", "4", "--jobs", "2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    n = 3 * len(RUNNERS)
    assert f"read {n}, scored {n}, rejected 0; {len(read_rows(alone))} rows" in run.stderr
    assert pooled.read_bytes() == alone.read_bytes()

    big = write_csv(tmp_path / "big.csv", RUNNERS * (210_000 // len(RUNNERS)))
    out = tmp_path / "big-picks.csv"
    busy = subprocess.Popen(
        [sys.executable, "-m", "shoefit.cli", "score", big, "-o", str(out), "--jobs", "2", "--chunk", "1000"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while not any(name.startswith(".big-picks.csv.") for name in listing(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # well into scoring
    busy.send_signal(signal.SIGTERM)
    _, err = busy.communicate(timeout=60)
    assert busy.returncode == 143, err
    assert "interrupted" in err
    assert listing(tmp_path) == ["alone.csv", "big.csv", "pooled.csv", "runners.csv"]


def test_grid_ranks_every_shoe_for_every_runner_type(tmp_path, catalog, knowledge):
    out = tmp_path / "grid.parquet"
    assert main(["grid", "-o", str(out)]) == 0
    rows = pq.read_table(out).to_pylist()
    types = {}
    for row in rows:
        types.setdefault((row["arch_type"], row["pronation"], row["concern"], row["use"]), []).append(row)
    concerns = {concern for _, _, concern, _ in types}
    assert {"none", "forefoot_pain", "morning_heel_pain", "top_of_foot_soreness", "cramped_toes"} <= concerns
    assert len(types) == len(ARCH_TYPES) * len(PRONATIONS) * len(concerns) * len(USES)
    for shoes in types.values():
        assert sorted(r["shoe_id"] for r in shoes) == sorted(catalog.ids.tolist())
        assert [r["rank"] for r in shoes] == list(range(1, len(catalog) + 1))
        assert all(a["score"] >= b["score"] for a, b in zip(shoes, shoes[1:]))
    runner = profile(arch_type="high", symptoms=["forefoot_pain"], use="race", shortlist=False, limit=5)
    single = Recommender(catalog, knowledge).recommend(runner)
    wanted = [(p["id"], p["score"]) for p in single["recommendations"]]
    assert [(r["shoe_id"], r["score"]) for r in types[("high", "unknown", "forefoot_pain", "race")][:5]] == wanted


def test_grid_top_keeps_the_best_shoes_per_runner_type(tmp_path):
    out = tmp_path / "grid.csv"
    assert main(["grid", "-o", str(out), "--top", "3"]) == 0
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["rank"] for r in rows} == {"1", "2", "3"}
    assert len(rows) == 3 * len(ARCH_TYPES) * len(PRONATIONS) * 11 * len(USES)


def test_the_batch_benchmark_runs_and_prints_its_figures():
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_batch.py"), "--quick", "--formats", "csv"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    # Three kinds of runners, on the bundled and on the synthetic catalog.
    assert (
        len(re.findall(r"^(?:mix, no filters|mix, filters|5 typical x N) .+x   .*ratio >= 20", run.stdout, re.M)) == 6
    )
    assert re.search(r"^csv\s+[\d.]+\s+[\d.]+\s+[\d.]+x\s+[\d,]+\s+[\d,]+ .+ [01]   <= 5x floor: ", run.stdout, re.M)
    assert "timings (s, summed over the processes): read" in run.stdout


BLOCK_PYARROW = "import sys; sys.modules['pyarrow'] = None  # as if not installed\n"


def test_without_pyarrow_the_batch_commands_say_what_to_install(tmp_path):
    runners = tmp_path / "runners.csv"
    runners.write_text("arch_type\nflat\n")
    probe = BLOCK_PYARROW + "from shoefit.cli import main; sys.exit(main(['score', sys.argv[1], '-o', sys.argv[2]]))"
    run = subprocess.run(
        [sys.executable, "-c", probe, str(runners), str(tmp_path / "picks.csv")], capture_output=True, text=True
    )
    assert run.returncode == 2 and "pip install 'shoefit[batch]'" in run.stderr, run.stderr[-2000:]


def test_the_service_needs_no_pyarrow(tmp_path):
    # make run installs no pyarrow: the service, its batch endpoint included, must not import it.
    probe = BLOCK_PYARROW + (
        "from shoefit import create_app\n"
        f"client = create_app({{'INSTANCE_PATH': {str(tmp_path)!r}}}).test_client()\n"
        "assert client.post('/v1/recommendations', json={'arch_type': 'flat'}).status_code == 200\n"
        "assert client.post('/v1/batch/recommendations', json={'profiles': [{}, {}]}).status_code == 200\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]


def _worker_settings(job, sources):
    from threadpoolctl import threadpool_info

    from shoefit.batch import workers

    workers._start_worker(job, sources)
    return sorted({pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}), gc.isenabled()


def test_a_worker_process_runs_one_blas_thread_and_no_cycle_collector():
    # Workers are as many as the cores: BLAS threads of their own spinning beside them cost a third of the wall time.
    from concurrent.futures import ProcessPoolExecutor

    from shoefit.batch.chunk_scorer import Job
    from shoefit.batch.sources import Sources

    job = Job("csv", ("id", "arch_type"), "csv", 5)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        threads, collecting = pool.submit(_worker_settings, job, Sources.read()).result(timeout=120)
    assert threads == [1] and not collecting


def test_workers_come_from_a_server_that_imported_the_scorer_started_before_the_cli_imports_it(tmp_path):
    from argparse import Namespace
    from unittest import mock

    from shoefit.batch import worker_start
    from shoefit.cli import batch_commands

    context = worker_start.worker_context()
    if "forkserver" in multiprocessing.get_all_start_methods():
        assert context.get_start_method() == "forkserver"
    big, small = tmp_path / "big.csv", tmp_path / "small.csv"
    big.write_bytes(b"id\n" + b"r\n" * (batch_commands.EARLY_WORKERS_BYTES // 2))
    small.write_bytes(b"id\nr\n")
    cases = {
        (str(big), "local", 2): True,
        (str(big), "local", 1): False,  # scored in this process
        (str(big), "dask", 2): False,
        (str(small), "local", 2): False,  # one chunk: scored in this process
        (str(tmp_path / "missing.csv"), "local", 2): False,
    }
    for (profiles, engine, jobs), started in cases.items():
        with mock.patch.object(worker_start, "start_early") as start:
            batch_commands.start_workers_early(Namespace(profiles=profiles, engine=engine, jobs=jobs))
        assert start.called == started, (profiles, engine, jobs)

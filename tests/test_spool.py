"""Encoded chunks handed from worker processes to the writer as files beside the output (batch/spool.py)."""

import errno
import os
import re
from pathlib import Path

import pyarrow as pa
import pytest

from shoefit.batch import spool
from shoefit.batch.chunk_scorer import Job, Stopwatch
from shoefit.batch.formats import PICKS_SCHEMA
from shoefit.batch.sources import Sources, chunks_of, open_source
from shoefit.batch.spool import Spooled, append, batch_of, spool_folder, spooled
from shoefit.batch.workers import scored_here
from shoefit.cli import main


def test_spooled_chunks_are_appended_in_turn_and_deleted(tmp_path):
    out = tmp_path / "out.csv"
    with open(out, "xb") as fh:
        fh.write(b"header\n")
        first = spooled(b"a,1\nb,2\n", str(tmp_path), "1.part")
        second = spooled(pa.py_buffer(b"c,3\n"), str(tmp_path), "2.part")
        assert first == Spooled(str(tmp_path / "1.part"), 8) and second.size == 4
        append(fh, first)
        fh.write(b"d,4\n")  # the buffered writer goes on where the kernel's copy ended
        append(fh, second)
        assert fh.tell() == out.stat().st_size
    assert out.read_bytes() == b"header\na,1\nb,2\nd,4\nc,3\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


@pytest.mark.parametrize("copied_first", [0, 3, None])
def test_without_the_kernel_copy_the_rest_is_copied_through_the_files(tmp_path, monkeypatch, copied_first):
    real = os.copy_file_range
    calls = []

    def refusing(src, dst, count):
        calls.append(count)
        if copied_first and len(calls) == 1:
            return real(src, dst, copied_first)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    if copied_first is None:  # a system without it
        monkeypatch.delattr(spool.os, "copy_file_range")
    else:
        monkeypatch.setattr(spool.os, "copy_file_range", refusing)
    out = tmp_path / "out.csv"
    with open(out, "xb") as fh:
        fh.write(b"head\n")
        append(fh, spooled(b"0123456789\n", str(tmp_path), "1.part"))
        fh.write(b"tail\n")
    assert out.read_bytes() == b"head\n0123456789\ntail\n"
    # Asked once and refused, or asked again for the rest after a part; never asked where there is none.
    assert len(calls) == {None: 0, 0: 1, 3: 2}[copied_first]
    assert not (tmp_path / "1.part").exists()


def test_a_chunk_that_cannot_be_written_goes_back_as_it_is(tmp_path):
    payload = b"x,1\n"
    assert spooled(payload, str(tmp_path / "gone"), "1.part") is payload


def test_a_spooled_batch_is_read_back_whole_and_its_file_deleted(tmp_path):
    batch = pa.record_batch([pa.array(["a", None, "c"]), pa.array([1.5, 2.0, None])], names=["id", "score"])
    chunk = spooled(batch, str(tmp_path), "1.part")
    with batch_of(chunk) as back:
        assert back.equals(batch) and back.schema == batch.schema
    assert list(tmp_path.iterdir()) == []


def test_the_spool_folder_is_beside_the_output_and_goes_with_what_is_left_in_it(tmp_path):
    with spool_folder(tmp_path / "picks.csv") as folder:
        assert Path(folder).parent == tmp_path and Path(folder).name.startswith(".picks.csv.chunks-")
        spooled(b"left over", folder, "1.part")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_worker_processes_hand_their_chunks_back_as_files_beside_the_output(tmp_path, kind):
    source = tmp_path / "runners.csv"
    source.write_text("id,arch_type,pronation\n" + "".join(f"r{i},flat,overpronation\n" for i in range(6)))
    sources = Sources.read()
    catalog, knowledge = sources.load()
    with open_source(source) as opened:
        job = Job(opened.format, opened.header, kind, 3, str(source))
        chunks = chunks_of(opened, 2, Stopwatch())
        with scored_here(
            catalog, knowledge, sources, 2, job, chunks, output_path=tmp_path / f"picks.{kind}"
        ) as results:
            payloads = [result.payload for result in results]
            assert all(isinstance(p, Spooled) for p in payloads)
            (folder,) = {Path(p.path).parent for p in payloads}
            assert [Path(p.path).stat().st_size for p in payloads] == [p.size for p in payloads]
            # Each chunk of 2 runners: their 3 picks each, in the order the runners came.
            firsts = []
            for p in payloads:
                if kind == "parquet":
                    with batch_of(p) as batch:
                        assert batch.schema == PICKS_SCHEMA and batch.num_rows == 6
                        firsts.append(batch.column("profile_id")[0].as_py())
                else:
                    text = Path(p.path).read_text()
                    assert text.count("\n") == 6
                    firsts.append(re.match(r'\W*(?:profile_id\W+)?(r\d+)"', text).group(1))
            assert firsts == ["r0", "r2", "r4"]
    assert folder.parent == tmp_path and not folder.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runners.csv"]


@pytest.mark.parametrize("ext", ["jsonl", "parquet"])
def test_a_file_scored_by_worker_processes_is_the_one_scored_alone(tmp_path, ext):
    source = tmp_path / "runners.csv"
    arches, pronations = ["flat", "high", "neutral", "unknown"], ["overpronation", "neutral", "underpronation"]
    rows = [f"r{i},{arches[i % 4]},{pronations[i % 3]}\n" for i in range(40)]
    source.write_text("id,arch_type,pronation\n" + "".join(rows))
    alone, pooled = tmp_path / f"alone.{ext}", tmp_path / f"pooled.{ext}"
    assert main(["score", str(source), "-o", str(alone), "--chunk", "7", "--jobs", "1", "--quiet"]) == 0
    assert main(["score", str(source), "-o", str(pooled), "--chunk", "7", "--jobs", "2", "--quiet"]) == 0
    assert pooled.read_bytes() == alone.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([source.name, alone.name, pooled.name])

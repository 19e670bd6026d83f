"""Encoded chunks handed from worker processes to the writer as files beside the output (batch/spool.py)."""

import errno
import os
from pathlib import Path

import pyarrow as pa
import pytest

from shoefit.batch import spool
from shoefit.batch.chunk_scorer import Job, Stopwatch
from shoefit.batch.sources import Sources, chunks_of, open_source
from shoefit.batch.spool import Spooled, append, spool_folder, spooled
from shoefit.batch.workers import scored_here


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


@pytest.mark.parametrize("copied_first", [0, 3])
def test_without_the_kernel_copy_the_rest_is_copied_through_the_files(tmp_path, monkeypatch, copied_first):
    real = os.copy_file_range
    calls = []

    def refusing(src, dst, count):
        calls.append(count)
        if copied_first and len(calls) == 1:
            return real(src, dst, copied_first)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(spool.os, "copy_file_range", refusing)
    out = tmp_path / "out.csv"
    with open(out, "xb") as fh:
        fh.write(b"head\n")
        append(fh, spooled(b"0123456789\n", str(tmp_path), "1.part"))
        fh.write(b"tail\n")
    assert out.read_bytes() == b"head\n0123456789\ntail\n"
    assert calls and not (tmp_path / "1.part").exists()


def test_a_chunk_that_cannot_be_written_goes_back_as_it_is(tmp_path):
    payload = b"x,1\n"
    assert spooled(payload, str(tmp_path / "gone"), "1.part") is payload


def test_the_spool_folder_is_beside_the_output_and_goes_with_what_is_left_in_it(tmp_path):
    with spool_folder(tmp_path / "picks.csv") as folder:
        assert Path(folder).parent == tmp_path and Path(folder).name.startswith(".picks.csv.chunks-")
        spooled(b"left over", folder, "1.part")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind, spools", [("csv", True), ("jsonl", True), ("parquet", False)])
def test_worker_processes_hand_bytes_back_as_files_and_batches_as_they_are(tmp_path, kind, spools):
    source = tmp_path / "runners.csv"
    source.write_text("id,arch_type,pronation\n" + "".join(f"r{i},flat,overpronation\n" for i in range(6)))
    sources = Sources.read()
    catalog, knowledge = sources.load()
    output = tmp_path / f"picks.{kind}"
    with open_source(source) as opened:
        job = Job(opened.format, opened.header, kind, 3, str(source))
        chunks = chunks_of(opened, 2, Stopwatch())
        with scored_here(catalog, knowledge, sources, 2, job, chunks, output_path=output) as results:
            payloads = [result.payload for result in results]
            folders = {Path(p.path).parent for p in payloads if isinstance(p, Spooled)}
            written = [Path(p.path).read_bytes() for p in payloads if isinstance(p, Spooled)]
    assert len(payloads) == 3
    if spools:
        assert all(isinstance(p, Spooled) for p in payloads)
        # Each chunk of 2 runners: their 3 picks each, in the order the runners came.
        assert [chunk.count(b"\n") for chunk in written] == [6, 6, 6]
        assert [p.size for p in payloads] == [len(chunk) for chunk in written]
        first = {"csv": b'"r%d",', "jsonl": b'{"profile_id":"r%d",'}[kind]
        assert all(chunk.startswith(first % (2 * i)) for i, chunk in enumerate(written)), written
        (folder,) = folders
        assert folder.parent == tmp_path and not folder.exists()
    else:
        assert all(isinstance(p, pa.RecordBatch) for p in payloads)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runners.csv"]

"""Ingestion limits: oversized files, zip and PDF bombs, long lines, too many passages are refused."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from kb.config import Settings
from kb.database.db import make_engine, session_scope
from kb.errors import IngestError
from kb.library.ingest import ingest_paths
from kb.library.limits import MB, IngestLimits
from kb.models import Passage, Policy
from tests.utils.bombs import docx_bomb, pdf_bomb, pdf_with_contents
from tests.utils.builders import ingest, write_jsonl, write_notice

ROOT = Path(__file__).resolve().parents[3]


def counts(engine) -> tuple[int, int]:
    with Session(engine) as s:
        return (s.exec(select(func.count()).select_from(Policy)).one(),
                s.exec(select(func.count()).select_from(Passage)).one())


def refused(engine, path: Path, limits: IngestLimits, good: Path) -> str:
    """Ingest a good file with the bad one; the error names the bad file and nothing changes."""
    before = counts(engine)
    with pytest.raises(IngestError) as caught:
        with session_scope(engine) as session:
            ingest_paths(session=session, paths=[good, path], limits=limits)
    assert counts(engine) == before
    assert caught.value.path == str(path) or caught.value.path.startswith(str(path))
    return caught.value.message


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(engine, tmp_path):
    ingest(engine, write_notice(tmp_path / "first.txt"))
    big = tmp_path / "big.txt"
    big.write_text("一、条款内容。\n" * 200_000, "utf-8")
    message = refused(engine, big, IngestLimits(max_file_bytes=1 * MB), tmp_path / "first.txt")
    assert "too large" in message and "KB_INGEST_MAX_FILE_MB" in message


def test_a_docx_that_expands_beyond_the_limit_is_refused(engine, tmp_path):
    good = write_notice(tmp_path / "good.txt")
    bomb = docx_bomb(tmp_path / "bomb.docx", unpacked_mb=3)
    message = refused(engine, bomb, IngestLimits(max_unpacked_bytes=2 * MB), good)
    assert "decompression bomb" in message


def test_a_pdf_page_that_expands_beyond_the_limit_is_refused(engine, tmp_path):
    good = write_notice(tmp_path / "good.txt")
    text = b"BT /F1 12 Tf 72 720 Td (Policy clause) Tj ET\n"
    pdf = pdf_with_contents(tmp_path / "wide.pdf", text, repeat=3 * MB // len(text))
    message = refused(engine, pdf, IngestLimits(max_unpacked_bytes=2 * MB), good)
    assert "KB_INGEST_MAX_UNPACKED_MB" in message
    # The same file under the limit is read (the limit, not the file, refused it).
    small = pdf_with_contents(tmp_path / "small.pdf", text, repeat=2)
    with session_scope(engine) as session:
        assert ingest_paths(session=session, paths=[small]).created


def test_pypdfs_own_decompression_limit_is_an_ingest_error_not_a_traceback(engine, tmp_path):
    good = write_notice(tmp_path / "good.txt")
    message = refused(engine, pdf_bomb(tmp_path / "bomb.pdf", unpacked_mb=80),
                      IngestLimits(max_unpacked_bytes=200 * MB), good)
    assert "decompression bomb" in message


def test_a_jsonl_line_over_the_limit_is_refused_naming_the_line(engine, tmp_path):
    good = write_notice(tmp_path / "good.txt")
    path = write_jsonl(tmp_path / "bulk.jsonl", [{"id": "a", "text": "一、短条款。"},
                                                 {"id": "b", "text": "一、" + "长" * 5000}])
    message = refused(engine, path, IngestLimits(max_line_chars=2000), good)
    assert message.startswith(f"{path}:2:") and "KB_INGEST_MAX_LINE_CHARS" in message


def test_a_document_cut_into_too_many_passages_is_refused(engine, tmp_path):
    good = write_notice(tmp_path / "good.txt")
    many = tmp_path / "many.txt"
    many.write_text("关于条款很多的通知\n" + "".join(f"{n}、第{n}项条款。\n" for n in range(1, 60)), "utf-8")
    message = refused(engine, many, IngestLimits(max_passages=20), good)
    assert "KB_INGEST_MAX_PASSAGES" in message


def test_the_text_length_bound_is_checked_before_the_header_is_read(engine, tmp_path):
    good = write_notice(tmp_path / "good.txt")
    long = tmp_path / "long.txt"
    long.write_text("条" * 300_000, "utf-8")
    assert "too long" in refused(engine, long, IngestLimits(), good)


def test_settings_configure_the_limits():
    limits = IngestLimits.from_settings(Settings(ingest_max_file_mb=2, ingest_max_unpacked_mb=3,
                                                 ingest_max_line_chars=10, ingest_max_passages=4))
    assert limits == IngestLimits(2 * MB, 3 * MB, 10, 4)


# The child: ``policykb ingest FILE``, timed from after its imports (on a loaded two-core machine
# starting the interpreter alone can take seconds; the limit is on the refusal, not on Python).
INGEST = """
import sys, time
from kb.cli.main import build_parser, main
build_parser()  # imports every command's modules
start = time.monotonic()
try:
    code = main(["ingest", sys.argv[1]])
finally:
    print(time.monotonic() - start)
sys.exit(code)
"""

# The parent of that child: its exit status, its own timing, and its peak RSS in MB (wait4 gives
# this child's figure alone, whatever else the test run has started).
MEASURE = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
out, err = child.stdout.read(), child.stderr.read()
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), out.decode().split()[-1], usage.ru_maxrss / 1024)
sys.stderr.write(err.decode())
"""


@pytest.mark.slow
@pytest.mark.parametrize("case", ["text-50mb", "docx-bomb", "pdf-bomb"])
def test_hostile_files_are_refused_within_seconds_and_bounded_memory(tmp_path, case):
    if case == "text-50mb":
        path = tmp_path / "huge.txt"
        with path.open("w", encoding="utf-8") as fh:
            for n in range(50 * 1024):  # 50 MB of clauses
                fh.write(f"{n % 9 + 1}、对符合条件的企业给予奖励。".ljust(340, "补") + "\n")
    elif case == "docx-bomb":
        path = docx_bomb(tmp_path / "bomb.docx", unpacked_mb=300)
    else:
        path = pdf_bomb(tmp_path / "bomb.pdf", unpacked_mb=200)
    assert case == "text-50mb" or path.stat().st_size < 2 * MB  # small on disk
    home = tmp_path / "var"
    env = {**os.environ, "KB_HOME": str(home), "KB_EMBEDDING_MODEL": "none"}
    run = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-c", INGEST, str(path)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    status, seconds, peak_mb = run.stdout.split()
    print(f"{case}: exit {status}, refused in {float(seconds):.2f} s, peak RSS {float(peak_mb):.0f} MB")
    assert int(status) == 2, run.stderr
    assert str(path) in run.stderr and "Traceback" not in run.stderr
    assert float(seconds) < 10, seconds
    assert float(peak_mb) < 500, peak_mb
    engine = make_engine(Settings(home=home).db_url)
    assert counts(engine) == (0, 0)
    engine.dispose()

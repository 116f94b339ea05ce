"""A short version of bench/mixed.py: askers, CLI ingests, sign-ins and sign-off cycles at once
against real uvicorn processes over one SQLite file, and not one of them fails."""

from pathlib import Path

import pytest

from bench.api import free_port
from bench.mixed import environment, prepare, report, run_mix, start_server


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("workers", [1, 3])
def test_the_load_mix_all_succeeds(tmp_path: Path, workers: int):
    env = environment(tmp_path)
    prepare(env)
    port = free_port()
    server = start_server(env, port, workers)
    try:
        tally = run_mix(f"http://127.0.0.1:{port}", env, tmp_path, seconds=4, askers=3,
                        ingests=2, sign_ins=4, cycles=4)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(report(tally, seconds=4, workers=workers))
    assert tally.failures == 0, report(tally, seconds=4, workers=workers)
    assert tally.ok["ask"] >= 3 and tally.ok["ingest"] == 2
    assert tally.ok["sign-in"] == 4 and tally.ok["sign-off"] == 4

"""A throwaway PostgreSQL cluster for benchmarks (the way tests/run starts one): Debian's server
binaries, a temporary folder, a free loopback port; stopped and removed by ``stop``."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Cluster:
    """A running cluster: its URL for KB_DATABASE_URL, and how to stop it."""

    url: str
    folder: Path
    bin: Path

    def stop(self) -> None:
        """Stop the server and remove its files."""
        _as_owner([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate",
                   "-w", "stop"])
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_owner(argv: list[str]) -> None:
    """Run as the postgres user when this is root (initdb refuses root)."""
    if os.geteuid() == 0:
        argv = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in argv)]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start() -> Cluster:
    """Start a cluster; SystemExit with a message when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")
    bin_dir = Path(found[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="policykb-bench-pg-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _as_owner([str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", "postgres",
               "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
    # synchronous_commit off: commits as durable as SQLite's WAL with synchronous=NORMAL.
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
               "-c synchronous_commit=off -c max_connections=300")
    _as_owner([str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"),
               "-w", "-o", options, "start"])
    return Cluster(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", folder, bin_dir)

"""Scale-out: the same code location on PostgreSQL instance storage, against a real server.

The server is Debian's PostgreSQL, started by the test on 127.0.0.1 (a free port, a temp
data dir, as the `postgres` user when the test runs as root) and stopped by process id at
the end. Skipped, with the reason, where PostgreSQL is absent and cannot be installed.
"""

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from stock_assets.settings import REPO_ROOT
from stock_assets_tests.conftest import run_cli
from stock_assets_tests.e2e.dagster_dev import free_port

pytestmark = pytest.mark.slow

DB, USER, PASSWORD = "dagster", "dagster", "dagster-test"
# docs/deployment.md: the sed expression that removes the SQLite event log block from dagster.yaml.
SQLITE_BLOCK_SED = "/# >>> sqlite-event-log/,/# <<< sqlite-event-log/d"


def pg_bin() -> Path:
    """Debian's PostgreSQL binaries, installed with apt when root and missing."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], capture_output=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL server binaries are absent and cannot be installed "
                    "(needs root and apt-get: apt-get install postgresql)")
    return Path(found[-1]).parent


def as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` user then."""
    if os.geteuid() != 0:
        return cmd
    if not shutil.which("runuser"):
        pytest.skip("running as root without `runuser`: cannot start PostgreSQL as another user")
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="module")
def postgres():
    pytest.importorskip("dagster_postgres", reason="dagster-postgres (dev group) is not installed")
    bin_dir = pg_bin()
    root = Path(tempfile.mkdtemp(prefix="stock_assets_pg_"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        os.chmod(root, 0o755)
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD)
    pwfile.chmod(0o644)
    port = free_port()
    log = root / "server.log"
    server = None
    try:
        subprocess.run(as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={pwfile}",
                                    "-A", "scram-sha-256", "--no-sync"]), check=True, capture_output=True, timeout=120)
        server = subprocess.Popen(
            as_postgres([str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
                         "-k", str(sock), "-c", "fsync=off"]),
            stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        deadline = time.monotonic() + 60
        while subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"PostgreSQL did not start: {log.read_text()}"
            time.sleep(0.3)
        subprocess.run([str(bin_dir.parent / "bin" / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DB],
                       check=True, capture_output=True, env=env, timeout=60)
        yield {"DAGSTER_PG_USERNAME": USER, "DAGSTER_PG_PASSWORD": PASSWORD, "DAGSTER_PG_HOST": "127.0.0.1",
               "DAGSTER_PG_DB": DB, "DAGSTER_PG_PORT": str(port)}
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, 15)  # SIGTERM: "smart" shutdown
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
                server.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_cli_env(cli_env, dagster_home, postgres) -> dict:
    """The repo's dagster.yaml with its SQLite event log block swapped for the PostgreSQL block,
    by the two commands docs/deployment.md gives."""
    instance_yaml = dagster_home / "dagster.yaml"
    subprocess.run(f"sed '{SQLITE_BLOCK_SED}' {REPO_ROOT / 'dagster.yaml'} > {instance_yaml}",
                   shell=True, check=True)
    subprocess.run(f"cat {REPO_ROOT / 'deploy' / 'postgres_storage.yaml'} >> {instance_yaml}", shell=True, check=True)
    assert "stock_assets.storage.dagster_event_log" not in instance_yaml.read_text()
    return {**cli_env, **postgres}


def test_code_location_runs_on_postgres_instance_storage(pg_cli_env, data_dir, monkeypatch):
    """The universe in process, then `dagster asset materialize` of one night, both on PostgreSQL."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    from stock_assets.defs.resources import build_resources
    from stock_assets.defs.universe.assets import ticker_universe
    from stock_assets.settings import Settings

    for key, value in pg_cli_env.items():
        if key.startswith("DAGSTER_PG_"):
            monkeypatch.setenv(key, value)
    ref = InstanceRef.from_dir(pg_cli_env["DAGSTER_HOME"])
    with dg.DagsterInstance.from_ref(ref) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        resources = build_resources(Settings.from_env(pg_cli_env))
        assert dg.materialize([ticker_universe], resources=resources, instance=instance).success

    done = run_cli(["asset", "materialize", "-m", "stock_assets.definitions", "--select", "daily_ohlcv",
                    "--partition", "2024-03-13"], pg_cli_env, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    with dg.DagsterInstance.from_ref(ref) as instance:
        runs = instance.get_runs()
        assert len(runs) == 2
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        record = instance.get_latest_materialization_event(dg.AssetKey("daily_ohlcv"))
        assert record is not None and record.dagster_event.partition == "2024-03-13"
    assert (data_dir / "lake" / "daily_ohlcv" / "date=2024-03-13").exists()

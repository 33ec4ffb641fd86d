"""A real `dagster dev` (webserver + daemon) for end-to-end tests, and a small GraphQL client.

Why real processes: schedules, sensors, backfills and run termination are done by the
daemon, the run launcher and the webserver, not by `execute_in_process`; this is what a user
runs. Everything listens on 127.0.0.1 on a port the test picks, lives in temp dirs, is
bounded in time, and is killed by process group at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from stock_assets.settings import REPO_ROOT

ARTIFACTS = REPO_ROOT / "test-artifacts"
LOCATION = "stock_assets"
REPOSITORY = "__repository__"
START_TIMEOUT = 150.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GraphQLError(RuntimeError):
    """The webserver answered a GraphQL request with errors."""


@dataclass
class DagsterDev:
    """One running `dagster dev`: its process, its dirs and its URL."""

    process: subprocess.Popen
    url: str
    home: Path
    data_dir: Path
    log_path: Path

    # -- GraphQL -------------------------------------------------------------------------
    def graphql(self, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise GraphQLError(json.dumps(payload["errors"])[:2000])
        return payload["data"]

    def selector(self, **extra) -> dict:
        return {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, **extra}

    def launch_run(self, job: str, tags: dict | None = None, run_config: dict | None = None) -> str:
        data = self.graphql(LAUNCH_RUN, {"p": {
            "selector": self.selector(jobName=job),
            "runConfigData": run_config or {},
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
        }})["launchRun"]
        if data["__typename"] != "LaunchRunSuccess":
            raise GraphQLError(f"launchRun {job}: {json.dumps(data)[:2000]}")
        return data["run"]["runId"]

    def run_status(self, run_id: str) -> str:
        return self.graphql(RUN_STATUS, {"id": run_id})["runOrError"]["status"]

    def wait_run(self, run_id: str, timeout: float = 180, until=("SUCCESS", "FAILURE", "CANCELED")) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.run_status(run_id)
            if status in until:
                return status
            self.check_alive()
            time.sleep(0.5)
        raise TimeoutError(f"run {run_id} still {status} after {timeout}s; log: {self.log_path}")

    def errors(self, run_id: str) -> list[str]:
        """The error messages a run logged (step and run failures): what a failed assert shows."""
        events = self.graphql(RUN_ERRORS, {"id": run_id})["logsForRun"]["events"]
        return [f"{e['message']} {((e.get('error') or {}).get('message') or '')[:800]}"
                for e in events if e.get("error") or e["__typename"] == "RunFailureEvent"]

    def succeed(self, run_id: str, timeout: float = 180) -> None:
        status = self.wait_run(run_id, timeout)
        assert status == "SUCCESS", f"run {run_id} {status}: {self.errors(run_id)}"

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"dagster dev exited with {self.process.returncode}; log: {self.log_path}")

    # -- lifecycle -----------------------------------------------------------------------
    def wait_loaded(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                data = self.graphql(WORKSPACE, timeout=5)
                entries = data["workspaceOrError"]["locationEntries"]
                loaded = [e for e in entries if e["loadStatus"] == "LOADED"]
                if loaded:
                    kind = loaded[0]["locationOrLoadError"]["__typename"]
                    if kind != "RepositoryLocation":
                        raise RuntimeError(f"code location failed to load: {loaded[0]['locationOrLoadError']}")
                    return
                last = json.dumps(entries)
            except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout) as err:
                last = str(err)
            time.sleep(1)
        raise TimeoutError(f"dagster dev not ready after {timeout}s ({last}); log: {self.log_path}")

    def stop(self, grace: float = 20) -> None:
        """SIGTERM the process group (webserver, daemon, code servers, runs), then SIGKILL."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


def _prepare(root: Path, tickers: int, workspace_module: str) -> tuple[Path, Path, Path, dict]:
    """A temp DAGSTER_HOME (the repo's dagster.yaml), data dir, workspace file and environment."""
    home, data_dir = root / "dagster_home", root / "data"
    home.mkdir(parents=True)
    data_dir.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    workspace = root / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - python_module:\n"
        f"      module_name: {workspace_module}\n      location_name: {LOCATION}\n"
        f"      working_directory: {REPO_ROOT}\n"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCK_ASSETS_")}
    env.update(
        DAGSTER_HOME=str(home), STOCK_ASSETS_SOURCE="synthetic", STOCK_ASSETS_DATA_DIR=str(data_dir),
        STOCK_ASSETS_SYNTHETIC_TICKERS=str(tickers), PYTHONUNBUFFERED="1",
    )
    return home, data_dir, workspace, env


def _spawn(command: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    """A process in a session of its own, so that it and its children die by process group."""
    with open(log_path, "a") as log:
        return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _exe(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def start_dagster_dev(root: Path, tickers: int, workspace_module: str = "stock_assets.definitions",
                      name: str = "dagster_dev") -> DagsterDev:
    """Start `dagster dev` on 127.0.0.1 with a temp DAGSTER_HOME (the repo's dagster.yaml)."""
    home, data_dir, workspace, env = _prepare(root, tickers, workspace_module)
    log_path = ARTIFACTS / f"{name}.log"
    log_path.write_text("")
    port = free_port()
    process = _spawn([_exe("dagster"), "dev", "-w", str(workspace), "-h", "127.0.0.1", "-p", str(port)],
                     env, log_path)
    dev = DagsterDev(process=process, url=f"http://127.0.0.1:{port}", home=home, data_dir=data_dir,
                     log_path=log_path)
    try:
        dev.wait_loaded()
    except BaseException:
        dev.stop()
        raise
    return dev


@dataclass
class SplitDeployment:
    """`dagster-webserver` and `dagster-daemon run` as two services over one DAGSTER_HOME, as
    docs/deployment.md runs them: the daemon can die and be restarted while the webserver and
    the runs it launched go on."""

    web: DagsterDev
    workspace: Path
    env: dict
    daemons: list[subprocess.Popen]

    @property
    def daemon(self) -> subprocess.Popen:
        return self.daemons[-1]

    def start_daemon(self) -> subprocess.Popen:
        log_path = ARTIFACTS / f"daemon_{len(self.daemons) + 1}.log"
        log_path.write_text("")
        self.daemons.append(_spawn([_exe("dagster-daemon"), "run", "-w", str(self.workspace)], self.env, log_path))
        return self.daemon

    def crash_daemon(self) -> None:
        """SIGKILL the daemon's own process, as an OOM kill or a lost host would: no clean-up runs.
        Its code server and the run processes it launched are left to their fate."""
        self.daemon.kill()
        self.daemon.wait(timeout=10)

    def stop(self) -> None:
        for process in self.daemons:  # each group: the daemon, its code server, its runs
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if process.poll() is None:
                process.wait(timeout=10)
        self.web.stop()


def start_split_deployment(root: Path, tickers: int, workspace_module: str) -> SplitDeployment:
    home, data_dir, workspace, env = _prepare(root, tickers, workspace_module)
    log_path = ARTIFACTS / "webserver.log"
    log_path.write_text("")
    port = free_port()
    web = DagsterDev(
        process=_spawn([_exe("dagster-webserver"), "-w", str(workspace), "-h", "127.0.0.1", "-p", str(port)],
                       env, log_path),
        url=f"http://127.0.0.1:{port}", home=home, data_dir=data_dir, log_path=log_path)
    deployment = SplitDeployment(web=web, workspace=workspace, env=env, daemons=[])
    try:
        deployment.start_daemon()
        web.wait_loaded()
    except BaseException:
        deployment.stop()
        raise
    return deployment


WORKSPACE = """
{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""

LAUNCH_RUN = """
mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename
  ... on LaunchRunSuccess { run { runId } }
  ... on PythonError { message stack }
  ... on RunConfigValidationInvalid { errors { message } }
  ... on InvalidSubsetError { message }
} }
"""

RUN_STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"

RUN_ERRORS = """
query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
  __typename ... on MessageEvent { message }
  ... on ExecutionStepFailureEvent { error { message } }
  ... on RunFailureEvent { message }
} } } }
"""

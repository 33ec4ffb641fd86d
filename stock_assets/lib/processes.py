"""Which process is which, and whether it still runs: the liveness test behind crash recovery.

Why more than a PID: a PID is reused once its process is gone, and every PID is "gone"
after a reboot. A process is named by its host, the boot it runs in (Linux's boot id) and
its PID namespace, its PID and its start time (clock ticks since boot, from /proc), so a
reused PID or a reboot never passes for the process that died. Where /proc is missing
(macOS), the boot and the start time are blank and only the PID is checked.

The test is only answered where this process can see the other one: a process of another
host (a Kubernetes run worker) or of another container on this host (another PID namespace)
is `None` (unknown), never "gone", so nothing is ever reaped by guesswork.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_BOOT_ID = _PROC / "sys" / "kernel" / "random" / "boot_id"
_PID_NAMESPACE = _PROC / "self" / "ns" / "pid"
# DuckDB 1.x: 'Conflicting lock is held in /usr/bin/python3.11 (PID 17644)'.
_DUCKDB_HOLDER = re.compile(r"\(PID (\d+)\)")
CMDLINE_SHOWN = 160


@dataclass(frozen=True)
class ProcessId:
    """A process, unambiguously: host, boot (`<boot id>-<PID namespace>`), PID and start time
    (boot and start time blank off Linux)."""

    host: str
    boot: str
    pid: int
    started: str

    def text(self) -> str:
        """The form stored in a run tag or a file name: `host/boot/pid/started`."""
        return f"{self.host}/{self.boot}/{self.pid}/{self.started}"

    @classmethod
    def parse(cls, text: str) -> ProcessId | None:
        """The inverse of `text()`; None for anything that is not one (old or foreign values)."""
        parts = (text or "").split("/")
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        return cls(host=parts[0], boot=parts[1], pid=int(parts[2]), started=parts[3])


def this_host() -> str:
    return socket.gethostname().replace("/", "_")


def _boot_id() -> str:
    """`<boot id>-<PID namespace inode>`: a reboot changes the first, a container the second."""
    try:
        boot = _BOOT_ID.read_text().strip()[:8]
    except OSError:
        return ""
    try:
        namespace = os.readlink(_PID_NAMESPACE).removeprefix("pid:[").removesuffix("]")
    except OSError:
        namespace = ""
    return f"{boot}-{namespace}"


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot; "" without /proc; None if no such process."""
    if not _PROC.is_dir():
        return ""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Field 2 (the command) may hold spaces and parentheses: split after its closing one.
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[19]  # field 22 of stat, counted from field 3


def identify(pid: int | None = None) -> ProcessId | None:
    """This process (pid None) or the running process `pid` on this host; None if none runs."""
    pid = os.getpid() if pid is None else pid
    started = _start_ticks(pid)
    if started is None or (started == "" and not _pid_runs(pid)):
        return None
    return ProcessId(host=this_host(), boot=_boot_id(), pid=pid, started=started)


def _pid_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def is_gone(process: ProcessId) -> bool | None:
    """True if `process` (of this host) no longer runs, False if it does, None for another host."""
    if process.host != this_host():
        return None
    if process.boot:
        boot, _, namespace = process.boot.partition("-")
        here_boot, _, here_namespace = _boot_id().partition("-")
        if boot != here_boot:
            return True  # the host rebooted since: every process of the old boot is gone
        if namespace != here_namespace:
            return None  # another container's processes are not visible from here
    now = identify(process.pid)
    return now is None or now.started != process.started


def describe(pid: int) -> str:
    """`PID 1234 (dagster asset materialize ...)` for a message; the command line when readable."""
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return f"PID {pid}"
    command = " ".join(raw.decode(errors="replace").replace("\0", " ").split())
    if len(command) > CMDLINE_SHOWN:
        command = command[:CMDLINE_SHOWN - 3] + "..."
    return f"PID {pid} ({command})" if command else f"PID {pid}"


def duckdb_lock_holder(error: BaseException | str) -> int | None:
    """The PID DuckDB names in its 'Conflicting lock is held in ... (PID n)' error, if any."""
    found = _DUCKDB_HOLDER.search(str(error))
    return int(found.group(1)) if found else None

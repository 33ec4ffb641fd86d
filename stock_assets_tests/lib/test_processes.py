"""Process identity and liveness: what decides that a run or a temp file's writer is gone."""

import os
import subprocess
import sys

from stock_assets.lib.processes import ProcessId, describe, duckdb_lock_holder, identify, is_gone, this_host


def _dead_process() -> ProcessId:
    """The identity of a process that ran and exited (its PID may be reused later: that is the point)."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    process = identify(child.pid)
    child.communicate(b"", timeout=30)
    return process


def test_this_process_is_alive_and_its_text_round_trips():
    me = identify()
    assert me.pid == os.getpid() and me.host == this_host()
    assert ProcessId.parse(me.text()) == me
    assert is_gone(me) is False


def test_a_process_that_exited_is_gone():
    assert is_gone(_dead_process()) is True


def test_a_reused_pid_or_a_reboot_is_not_the_process_that_died():
    me = identify()
    assert is_gone(ProcessId(me.host, me.boot, me.pid, started=str(int(me.started or 0) + 1))) is True
    assert is_gone(ProcessId(me.host, "rebooted-" + me.boot.partition("-")[2], me.pid, me.started)) is True


def test_a_process_of_another_host_or_container_is_unknown_never_gone():
    me = identify()
    assert is_gone(ProcessId("another-host", "b", 1, "1")) is None
    boot = me.boot.partition("-")[0]
    assert is_gone(ProcessId(me.host, f"{boot}-4026000000", 99999999, "1")) is None  # another PID namespace


def test_values_that_are_not_a_process_parse_to_none():
    for text in ("", "host/boot/pid/start", "a/b/c", "12345"):
        assert ProcessId.parse(text) is None


def test_duckdb_names_the_lock_holder_and_describe_shows_its_command():
    error = ('IO Error: Could not set lock on file "/x/warehouse.duckdb": Conflicting lock is held in '
             "/usr/bin/python3.11 (PID 17644). See also https://duckdb.org/docs/stable/connect/concurrency")
    assert duckdb_lock_holder(error) == 17644
    assert duckdb_lock_holder("IO Error: disk full") is None
    child = subprocess.Popen([sys.executable, "-c", "import sys; print('up', flush=True); sys.stdin.read()",
                              "the-lock-holder"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline() == b"up\n"  # exec'd: its own command line, not the parent's
        shown = describe(child.pid)
    finally:
        child.communicate(b"", timeout=30)
    assert shown.startswith(f"PID {child.pid} (") and shown.endswith(" the-lock-holder)")
    assert describe(child.pid) == f"PID {child.pid}"  # gone: its command can no longer be read


def test_without_proc_only_the_pid_is_checked(tmp_path, monkeypatch):
    """macOS has no /proc: the start time is blank, and a PID is alive when a signal 0 reaches
    it, also when it belongs to another user (PermissionError)."""
    from stock_assets.lib import processes

    dead = _dead_process()
    monkeypatch.setattr(processes, "_PROC", tmp_path / "no-proc")
    me = identify()
    assert me is not None and me.started == "" and is_gone(me) is False
    assert identify(dead.pid) is None
    assert is_gone(ProcessId(me.host, me.boot, dead.pid, "")) is True

    def kill(pid, signal):
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(processes.os, "kill", kill)
    assert identify(dead.pid) == ProcessId(me.host, me.boot, dead.pid, "")  # exists, under another user


def test_without_a_boot_id_the_boot_is_blank_and_the_name_still_round_trips(tmp_path, monkeypatch):
    from stock_assets.lib import processes

    monkeypatch.setattr(processes, "_BOOT_ID", tmp_path / "no-boot-id")
    me = identify()
    assert me.boot == "" and ProcessId.parse(me.text()) == me and is_gone(me) is False

"""The code location of the crash tests: stock_assets.definitions, with a lake writer that can
be made to stall in the middle of a range write.

When CRASH_TEST_STALL_FILE is set, the run writes CRASH_TEST_STALL_AT - 1 days' temp files as
usual, then half of the next one, writes its PID to that file and stalls (sleeping):
the test then SIGKILLs it there, as an OOM kill or a reboot would, with no clean-up at all.
Unset, it is the project's code location unchanged.
"""

import os
import time
from pathlib import Path

from stock_assets.definitions import defs
from stock_assets.storage import lake

__all__ = ["defs"]

STALL_FILE = os.environ.get("CRASH_TEST_STALL_FILE")
STALL_AT = int(os.environ.get("CRASH_TEST_STALL_AT", "3"))

if STALL_FILE:
    _real_write_temp = lake.ParquetLake._write_temp
    _written = []

    def _write_temp_then_stall(self, table, day, frame):
        _written.append(day)
        tmp, target = _real_write_temp(self, table, day, frame)
        if len(_written) < STALL_AT:
            return tmp, target
        os.truncate(tmp, tmp.stat().st_size // 2)  # half a file, as a kill mid-write leaves it
        Path(STALL_FILE).write_text(str(os.getpid()))
        while True:
            time.sleep(1)

    lake.ParquetLake._write_temp = _write_temp_then_stall

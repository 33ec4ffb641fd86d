"""The code location of the crash tests: stock_assets.definitions, with a lake writer that can
be made to stall in the middle of a range write.

When CRASH_TEST_STALL_FILE is set, the run writes CRASH_TEST_STALL_AT - 1 day files as usual,
then half of the next day's temp file, writes its PID to that file and stalls (sleeping):
the test then SIGKILLs it there, as an OOM kill or a reboot would, with no clean-up at all.
Unset, it is the project's code location unchanged.
"""

import os
import time
import uuid
from pathlib import Path

from stock_assets.definitions import defs
from stock_assets.storage import lake

__all__ = ["defs"]

STALL_FILE = os.environ.get("CRASH_TEST_STALL_FILE")
STALL_AT = int(os.environ.get("CRASH_TEST_STALL_AT", "3"))

if STALL_FILE:
    _real_replace_file = lake.ParquetLake._replace_file
    _written = []

    def _replace_file_then_stall(self, table, day, frame):
        _written.append(day)
        if len(_written) < STALL_AT:
            return _real_replace_file(self, table, day, frame)
        target = self.partition_path(table, day)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{lake.FILE_NAME}.{lake._writer_tag()}.{uuid.uuid4().hex}.tmp"
        frame.write_parquet(tmp, compression="zstd")
        os.truncate(tmp, tmp.stat().st_size // 2)  # half a file, as a kill mid-write leaves it
        Path(STALL_FILE).write_text(str(os.getpid()))
        while True:
            time.sleep(1)

    lake.ParquetLake._replace_file = _replace_file_then_stall

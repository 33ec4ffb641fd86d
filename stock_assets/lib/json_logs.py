"""A logging.Formatter that writes one JSON object per line, with the Dagster run id on each.

Why: log shippers (Loki, CloudWatch, Elastic) index JSON fields; with `run_id` on every line a
run's logs can be found from an alert or the UI link. Opt in through `python_logs:
dagster_handler_config` in dagster.yaml (docs/alerts.md, "Structured logs"). Dagster attaches
its context to each record as `record.dagster_meta`; records from outside a run get run_id null.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

META_ATTR = "dagster_meta"  # dagster._core.log_manager.LOG_RECORD_METADATA_ATTR
_META_FIELDS = ("run_id", "job_name", "step_key", "op_name", "resource_name")


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", "run_id", "job_name", "step_key", "event", ...}` per line."""

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, META_ATTR, None) or {}
        event = meta.get("dagster_event") if isinstance(meta, dict) else None
        message = meta.get("orig_message") if isinstance(meta, dict) and meta.get("orig_message") else record.getMessage()
        out = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        for name in _META_FIELDS:
            out[name] = meta.get(name) if isinstance(meta, dict) else None
        if event is not None:
            out["event"] = str(getattr(event, "event_type_value", ""))
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)

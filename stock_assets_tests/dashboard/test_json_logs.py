"""The opt-in JSON log block of dagster.yaml works as documented: every line JSON, with the run id."""

import json
import logging
import re

import dagster as dg
import yaml

from stock_assets.lib.json_logs import JsonFormatter
from stock_assets.settings import REPO_ROOT


def opt_in_block() -> dict:
    """The commented block between the json-logs markers of dagster.yaml, uncommented and parsed."""
    text = (REPO_ROOT / "dagster.yaml").read_text()
    block = re.search(r"# >>> json-logs\n(.*?)# <<< json-logs", text, re.S).group(1)
    return yaml.safe_load("\n".join(line[2:] for line in block.splitlines()))


@dg.asset
def chatty(context: dg.AssetExecutionContext):
    context.log.info("fetched 3 symbols")


def test_every_run_log_line_is_json_with_the_run_id(capfd):
    with dg.instance_for_test(overrides=opt_in_block()) as instance:
        result = dg.materialize([chatty], instance=instance)
    err = capfd.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert len(lines) >= 5
    assert {line["run_id"] for line in lines} == {result.run_id}
    mine = [line for line in lines if line["message"] == "fetched 3 symbols"]
    assert mine and mine[0]["step_key"] == "chatty" and mine[0]["level"] == "INFO"
    assert any(line.get("event") == "STEP_SUCCESS" for line in lines)


def test_records_from_outside_a_run_still_format():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "plain %s", ("message",), None)
    out = json.loads(JsonFormatter().format(record))
    assert out["message"] == "plain message" and out["run_id"] is None and out["level"] == "WARNING"

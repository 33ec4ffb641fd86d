"""Every schedule and sensor says what it does about missed ticks, in the UI and in the docs."""

from stock_assets.settings import REPO_ROOT


def test_every_schedule_and_sensor_says_what_it_does_about_missed_ticks():
    from stock_assets.definitions import defs

    repo = defs.get_repository_def()
    instigators = [*repo.schedule_defs, *repo.sensor_defs]
    assert len(instigators) >= 8
    silent = [i.name for i in instigators if "Missed ticks:" not in (i.description or "")]
    assert silent == []
    operations = (REPO_ROOT / "docs" / "operations.md").read_text()
    section = operations.split("## Missed ticks", 1)[1].split("\n## ", 1)[0]
    assert [i.name for i in instigators if f"| `{i.name}` |" not in section] == []

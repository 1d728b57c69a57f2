"""`stepbot import|export|feeds` through bots.cli.main, with a real database in tmp_path."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from icalendar import Calendar

from bots.cli import main
from tests.calendars.conftest import FIXTURES


class Cli:
    """`stepbot --config … --db … ARGS` against files in a temp dir."""

    def __init__(self, tmp_path: Path) -> None:
        self.config = tmp_path / "config.toml"
        self.config.write_text('[bot]\ndefault_timezone = "America/New_York"\n', "utf-8")
        self.db = tmp_path / "stepbot.db"

    def __call__(self, *args: str) -> int:
        return main(["--config", str(self.config), "--db", str(self.db), *args])


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def dump(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        rows = []
        for table in ("meetings", "import_records", "import_sources", "feeds"):
            rows += [(table, *r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
        return rows


def test_import_json_report_and_reimport(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli(
            "import",
            str(FIXTURES / "google_export.ics"),
            "--fellowship",
            "aa",
            "--name",
            "google",
            "--json",
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {
        "source",
        "added",
        "updated",
        "removed",
        "unchanged",
        "skipped",
        "warnings",
    }
    # 7 series run today (2026-06-10's one-off has happened; the split Thursday series is
    # its later part), monthly and every-other-week included
    assert report["source"] == "google" and len(report["added"]) == 7
    assert all(set(s) == {"ref", "reason"} for s in report["skipped"])
    assert (
        cli("import", str(FIXTURES / "google_export.ics"), "--fellowship", "aa", "--name", "google")
        == 0
    )
    out = capsys.readouterr().out
    assert "0 added, 0 updated, 0 removed, 7 unchanged, 6 skipped" in out


def test_bad_input_exits_2_and_leaves_the_database_alone(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli("import", str(FIXTURES / "meeting_guide.json"), "--name", "mg") == 0
    capsys.readouterr()
    before = dump(cli.db)
    assert cli("import", str(FIXTURES / "truncated.ics"), "--name", "mg") == 2
    err = capsys.readouterr().err
    assert "line 11" in err and "never closed" in err
    broken = tmp_path / "broken.json"
    broken.write_text('[{"name": "x", "day": 1', "utf-8")
    assert cli("import", str(broken), "--name", "mg") == 2
    assert "not valid JSON" in capsys.readouterr().err
    empty = tmp_path / "empty.json"
    empty.write_text("[]", "utf-8")
    assert cli("import", str(empty), "--name", "mg") == 2
    assert "refusing to remove" in capsys.readouterr().err
    assert cli("import", str(tmp_path / "missing.csv")) == 2
    assert "no such file" in capsys.readouterr().err
    assert cli("import", "ftp://example.org/list.csv") == 2
    assert cli("import", str(FIXTURES / "meeting_guide.json"), "--tz", "Mars/Base") == 2
    assert cli("import", str(FIXTURES / "meeting_guide.json"), "--name", "manual") == 2
    with pytest.raises(SystemExit) as usage:
        cli("import", str(FIXTURES / "tsml.csv"), "--format", "xls")
    assert usage.value.code == 2
    assert dump(cli.db) == before


def test_dry_run(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("import", str(FIXTURES / "tsml.csv"), "--dry-run") == 0
    assert "4 added" in capsys.readouterr().out
    with sqlite3.connect(cli.db) as conn:
        assert conn.execute("SELECT count(*) FROM meetings").fetchone() == (0,)


def test_export_ics_with_filters_and_meeting(
    cli: Cli, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli("import", str(FIXTURES / "meeting_guide.json"), "--fellowship", "aa") == 0
    out = tmp_path / "all.ics"
    assert cli("export", "ics", "--out", str(out), "--name", "Springfield") == 0
    everything = Calendar.from_ical(out.read_bytes())
    assert len(everything.events) == 7
    women = tmp_path / "women.ics"
    assert cli("export", "ics", "--type", "women", "--out", str(women)) == 0
    assert [str(e["SUMMARY"]) for e in Calendar.from_ical(women.read_bytes()).events] == [
        "Women's Big Book (fictional)"
    ]
    one = tmp_path / "one.ics"
    assert cli("export", "ics", "--meeting", "night-owls", "--out", str(one)) == 0
    assert str(Calendar.from_ical(one.read_bytes()).events[0]["UID"]) == "night-owls@stepbot"
    capsys.readouterr()
    assert cli("export", "ics", "--meeting", "no-such-slug") == 2
    assert "no meeting" in capsys.readouterr().err
    assert cli("export", "ics", "--fellowship", "zz") == 2


def test_export_ics_to_stdout(cli: Cli, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert cli("import", str(FIXTURES / "tsml.csv")) == 0
    capsysbinary.readouterr()
    assert cli("export", "ics") == 0
    data = capsysbinary.readouterr().out
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and len(Calendar.from_ical(data).events) == 4


def test_export_meeting_guide(cli: Cli, tmp_path: Path) -> None:
    assert (
        cli(
            "import",
            str(FIXTURES / "bmlt_search.json"),
            "--tz",
            "America/Chicago",
            "--bmlt-formats",
            str(FIXTURES / "bmlt_formats.json"),
        )
        == 0
    )
    out = tmp_path / "feed.json"
    assert cli("export", "meeting-guide", "--out", str(out)) == 0
    feed = json.loads(out.read_text("utf-8"))
    assert len(feed) == 3 and all({"name", "slug", "day", "time"} <= set(m) for m in feed)


def test_feeds_commands(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli(
            "feeds",
            "add",
            "https://aa.example.org/meetings.json",
            "--name",
            "springfield",
            "--fellowship",
            "aa",
            "--no-refresh",
        )
        == 0
    )
    assert "added feed" in capsys.readouterr().out
    assert cli("feeds", "list", "--json") == 0
    feeds = json.loads(capsys.readouterr().out)
    assert [f["name"] for f in feeds] == ["springfield"] and feeds[0]["last_checked"] is None
    assert cli("feeds", "add", "https://aa.example.org/meetings.json", "--no-refresh") == 2
    assert "already exists" in capsys.readouterr().err
    assert cli("feeds", "add", "file:///etc/passwd", "--no-refresh") == 2
    assert cli("feeds", "remove", "nope") == 2
    assert cli("feeds", "remove", "springfield") == 0
    assert cli("feeds", "list") == 0
    assert "no feeds" in capsys.readouterr().out

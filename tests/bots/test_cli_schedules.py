"""Schedules from the command line: `meetings add --every`, cancel, move, close, restore, and
what `search --when today` says afterwards, on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bots.cli import main

BUSINESS = ["meetings", "add", "--name", "Business Meeting", "--fellowship", "aa",
            "--every", "every 1st saturday", "--time", "10:00", "--tz", "America/Chicago",
            "--address", "1 Example St, Springfield", "--slug", "business"]
THURSDAY = ["meetings", "add", "--name", "Thursday Night", "--fellowship", "aa", "--day",
            "thursday", "--time", "19:00", "--end", "20:00", "--tz", "America/New_York",
            "--address", "2 Example St, Springfield", "--slug", "thursday"]


class Cli:
    def __init__(self, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db, self.capsys = db, capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(self.db), *argv])
        out, err = self.capsys.readouterr()
        return code, out, err

    def today(self, at: str, tz: str) -> list[tuple[str, str]]:
        """(slug, local start time) of every sitting `search --when today` lists on the date
        of `at` (an empty day falls back to tomorrow's sittings, which are left out here)."""
        code, out, _ = self("search", "--when", "today", "--tz", tz, "--at", at, "--json")
        assert code == 0
        return [(h["slug"], h["start_local"][11:16]) for h in json.loads(out)
                if h["start_local"][:10] == at[:10]]


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path / "stepbot.db", capsys)


def test_a_first_saturday_meeting_is_found_on_first_saturdays_only(cli: Cli) -> None:
    code, out, _ = cli(*BUSINESS)
    assert code == 0 and "added business" in out
    chicago = "America/Chicago"
    assert cli.today("2027-01-02T08:00:00-06:00", chicago) == [("business", "10:00")]
    assert cli.today("2027-01-09T08:00:00-06:00", chicago) == []
    assert cli.today("2027-02-06T08:00:00-06:00", chicago) == [("business", "10:00")]


def test_cancel_move_close_and_restore(cli: Cli) -> None:
    assert cli(*THURSDAY)[0] == 0
    ny = "America/New_York"
    code, out, _ = cli("meetings", "cancel", "thursday", "2027-01-07", "--reason", "snow")
    assert code == 0 and "cancelled" in out
    assert cli.today("2027-01-07T12:00:00-05:00", ny) == []
    code, out, _ = cli("meetings", "move", "thursday", "2027-01-14", "--time", "21:00",
                       "--end", "22:00")
    assert code == 0 and "moved" in out
    assert cli.today("2027-01-14T12:00:00-05:00", ny) == [("thursday", "21:00")]
    code, out, _ = cli("meeting", "thursday", "--at", "2027-01-10T00:00:00Z", "--count", "2")
    assert code == 0 and "21:00" in out
    assert cli("meetings", "move", "thursday", "2027-01-21", "--time", "19:00",
               "--to-date", "2027-01-22")[0] == 0
    assert cli.today("2027-01-21T12:00:00-05:00", ny) == []
    assert cli.today("2027-01-22T12:00:00-05:00", ny) == [("thursday", "19:00")]
    assert cli("meetings", "close", "thursday", "2027-02-01", "2027-02-28",
               "--reason", "renovation")[0] == 0
    assert cli.today("2027-02-11T12:00:00-05:00", ny) == []
    assert cli.today("2027-03-04T12:00:00-05:00", ny) == [("thursday", "19:00")]
    code, out, _ = cli("meetings", "restore", "thursday", "2027-01-07")
    assert code == 0 and "as scheduled again" in out
    assert cli.today("2027-01-07T12:00:00-05:00", ny) == [("thursday", "19:00")]


def test_bad_edits_exit_2_and_change_nothing(cli: Cli) -> None:
    assert cli(*THURSDAY)[0] == 0
    with sqlite3.connect(cli.db) as conn:
        before = conn.execute("SELECT data, schedule FROM meetings").fetchall()
    code, _, err = cli("meetings", "cancel", "thursday", "2027-01-08")  # a Friday
    assert code == 2 and "does not meet on 2027-01-08" in err
    code, _, err = cli("meetings", "cancel", "thursday", "next week")
    assert code == 2 and "not a date" in err
    code, _, err = cli("meetings", "restore", "thursday", "2027-01-07")
    assert code == 2 and "nothing was changed on 2027-01-07" in err
    code, _, err = cli("meetings", "cancel", "nowhere", "2027-01-07")
    assert code == 2 and "no meeting 'nowhere'" in err
    code, _, err = cli("meetings", "close", "thursday", "2027-02-28", "2027-02-01")
    assert code == 2 and "ends before it starts" in err
    with sqlite3.connect(cli.db) as conn:
        assert conn.execute("SELECT data, schedule FROM meetings").fetchall() == before
    code, _, err = cli(*BUSINESS[:7], "every blue moon", *BUSINESS[8:])
    assert code == 2 and "cannot read" in err
    code, _, err = cli(*THURSDAY[:-2], "--slug", "t2", "--holidays", "XX")
    assert code == 2 and "no public holidays known" in err

"""The command line as a new user would use it: real SQLite files, real exit codes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bots.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM meetings").fetchone()[0])


ADD = ["meetings", "add", "--name", "Tuesday Night Hope", "--fellowship", "NA", "--day", "martes",
       "--day", "4", "--time", "7:30 PM", "--tz", "US/Eastern", "--type", "Women",
       "--address", "5 Example St, Boston", "--lat", "42.35", "--lon", "-71.08"]


def test_db_init_add_search_meeting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.db"
    code, out, _ = run(capsys, "--db", str(db), "db", "init")
    assert code == 0 and "0 meetings" in out
    code, out, _ = run(capsys, "--db", str(db), *ADD)
    assert code == 0 and "added tuesday-night-hope-tue-1930" in out
    code, out, _ = run(capsys, "--db", str(db), "search", "--type", "women", "--tz",
                       "Europe/London", "--at", "2026-03-09T12:00:00Z", "--json")
    assert code == 0
    hits = json.loads(out)
    assert [h["slug"] for h in hits] == ["tuesday-night-hope-tue-1930"]
    hit = hits[0]
    assert hit["timezone"] == "America/New_York" and hit["fellowship"] == "na"
    assert hit["start_local"] == "2026-03-10T19:30:00-04:00"
    assert hit["start_viewer"] == "2026-03-10T23:30:00+00:00"  # London not yet on summer time
    assert hit["types"] == ["W"] and "women" in hit["concepts"]
    assert hit["attendance"] == "in_person" and hit["in_progress"] is False
    code, out, _ = run(capsys, "--db", str(db), "search", "--near", "42.36,-71.06",
                       "--radius-km", "5", "--at", "2026-03-09T12:00:00Z", "--json")
    assert json.loads(out)[0]["distance_km"] < 5
    code, out, _ = run(capsys, "--db", str(db), "meeting", "tuesday-night-hope-tue-1930",
                       "--at", "2026-03-01T00:00:00Z", "--json")
    detail = json.loads(out)
    assert detail["days"] == [2, 4] and detail["time"] == "19:30"
    starts = [o["start_local"] for o in detail["occurrences"]]
    assert starts[:3] == ["2026-03-03T19:30:00-05:00", "2026-03-05T19:30:00-05:00",
                          "2026-03-10T19:30:00-04:00"]
    code, out, _ = run(capsys, "--db", str(db), "meetings", "remove",
                       "tuesday-night-hope-tue-1930")
    assert code == 0 and count(db) == 0


@pytest.mark.parametrize(("change", "message"), [
    (("--day", "funday"), "day"),
    (("--tz", "Mars/Olympus"), "timezone"),
    (("--time", "25:00"), "time"),
    (("--type", "XYZZY"), "types"),
    (("--fellowship", "nope"), "fellowship"),
    (("--lat", "123"), "latitude"),
])
def test_bad_values_exit_2_and_store_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], message: str
) -> None:
    db = tmp_path / "bad.db"
    argv = list(ADD)
    flag, value = change
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    code, _, err = run(capsys, "--db", str(db), *argv)
    assert code == 2
    assert message in err and "error" in err
    assert count(db) == 0


def test_zone_typo_gets_suggestions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = list(ADD)
    argv[argv.index("--tz") + 1] = "America/New_Yrok"
    code, _, err = run(capsys, "--db", str(tmp_path / "x.db"), *argv)
    assert code == 2 and "did you mean: America/New_York" in err


def test_demo_load_is_realistic_and_deterministic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.db"
    assert run(capsys, "--db", str(db), "demo", "load")[0] == 0
    assert count(db) == 300
    with sqlite3.connect(db) as conn:
        zones = conn.execute("SELECT count(DISTINCT timezone) FROM meetings").fetchone()[0]
        fellowships = conn.execute("SELECT count(DISTINCT fellowship) FROM meetings").fetchone()[0]
        first = conn.execute("SELECT data FROM meetings ORDER BY id LIMIT 1").fetchone()[0]
    assert zones >= 6 and fellowships >= 5
    assert "Fictional" in first or "demo" in first
    code, _, err = run(capsys, "--db", str(db), "demo", "load")
    assert code == 2 and "already loaded" in err
    other = tmp_path / "demo2.db"
    run(capsys, "--db", str(other), "demo", "load")
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT data FROM meetings ORDER BY id LIMIT 1").fetchone()[0] == first


def test_search_when_weekday_and_bad_filters(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.db"
    run(capsys, "--db", str(db), *ADD)
    code, out, _ = run(capsys, "--db", str(db), "search", "--when", "jueves", "--at",
                       "2026-03-09T12:00:00Z", "--tz", "America/New_York")
    assert code == 0 and "Tuesday Night Hope" in out
    code, _, err = run(capsys, "--db", str(db), "search", "--time-of-day", "brunch")
    assert code == 2 and "time_of_day" in err
    code, _, err = run(capsys, "--db", str(db), "search", "--at", "2026-03-09T12:00:00")
    assert code == 2 and "offset" in err


def test_ask_json_reply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "ask.db"
    run(capsys, "--db", str(db), *ADD)
    code, out, _ = run(capsys, "--db", str(db), "ask", "--json", "--locale", "es", "--tz",
                       "America/New_York", "--at", "2026-03-10T12:00:00Z", "/reuniones mujeres hoy")
    assert code == 0
    reply = json.loads(out)
    assert reply["lang"] == "es" and reply["cards"][0]["slug"] == "tuesday-night-hope-tue-1930"
    assert reply["cards"][0]["start_local"].startswith("2026-03-10T19:30")

"""Reflection packs: loading, validation with clear errors, look-ups, the steps, the CLI, and
(once every month is written) the pack shipped with stepbot."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bots.cli import main
from core import reflections
from core.errors import NotFoundError
from core.reflections import (
    ALL_DAYS,
    PackError,
    builtin_pack,
    check_pack,
    load_pack,
    pack_from_config,
    step_of_month,
)
from tests.core.fixtures.packs import write_dir_pack, write_file_pack

FIXTURES = Path(__file__).parent / "fixtures" / "packs"


def test_all_days_has_366_including_29_february() -> None:
    assert len(ALL_DAYS) == 366 and ALL_DAYS[0] == "01-01" and ALL_DAYS[-1] == "12-31"
    assert "02-29" in ALL_DAYS


def test_directory_pack_lookups(tmp_path: Path) -> None:
    pack = load_pack(write_dir_pack(tmp_path / "p"))
    assert pack.name == "Test pack" and pack.languages == ("en", "es")
    assert pack.source == "Test fixtures, CC0" and pack.licence == "CC0-1.0"
    r = pack.reflection_for(date(2026, 3, 14), "es")
    assert (r.day, r.step, r.language, r.month) == ("03-14", 3, "es", 3)
    assert r.title == "es title 03-14" and r.question.endswith("?")
    assert r.source == "Test fixtures, CC0" and r.on(2027) == date(2027, 3, 14)
    # 29 February exists in the pack and is used in leap years only.
    assert pack.reflection_for(date(2028, 2, 29)).title == "en title 02-29"
    assert pack.reflection_for(date(2027, 2, 28)).title == "en title 02-28"
    assert pack.reflection_for(date(2027, 3, 1)).title == "en title 03-01"
    # Unknown languages fall back to the first; regional variants to their language.
    assert pack.reflection_for(date(2026, 1, 1), "fr").language == "en"
    assert pack.reflection_for(date(2026, 1, 1), "es-MX").language == "es"
    assert len(list(pack.days("es"))) == 366


def test_step_of_month() -> None:
    assert [step_of_month(m) for m in range(1, 13)] == list(range(1, 13))
    with pytest.raises(ValueError):
        step_of_month(13)


def test_steps_original_and_neutral_in_both_languages(tmp_path: Path) -> None:
    pack = load_pack(write_dir_pack(tmp_path / "p"))  # no steps of its own: the shipped ones
    first = pack.step(1, "en")
    assert first.text.startswith("We admitted we were powerless over alcohol")
    assert "1939" in first.source and not first.neutral
    neutral = pack.step(1, "en", neutral=True)
    assert "alcohol" not in neutral.text and neutral.neutral
    assert "1939" in pack.step(1, "es").source and pack.step(1, "es").language == "es"
    assert len(pack.all_steps("es", neutral=True)) == 12
    assert [s.number for s in reflections.all_steps("en")] == list(range(1, 13))
    assert reflections.step(12, "es").text
    with pytest.raises(NotFoundError):
        pack.step(13)


def test_steps_in_a_pack_override_the_shipped_ones(tmp_path: Path) -> None:
    root = write_dir_pack(tmp_path / "p", languages=("en",))
    lines = ['source_en = "My steps"']
    for n in range(1, 13):
        lines += ["[[step]]", f"number = {n}", f'original_en = "Step {n} text"']
    (root / "steps.toml").write_text("\n".join(lines), "utf-8")
    pack = load_pack(root)
    assert pack.step(4).text == "Step 4 text" and pack.step(4).source == "My steps"
    assert pack.step(4, neutral=True).text == "Step 4 text"  # no neutral wording: original


@pytest.mark.parametrize("name", ["pack.json", "pack.toml"])
def test_single_file_packs(tmp_path: Path, name: str) -> None:
    pack = load_pack(write_file_pack(tmp_path / name, languages=("en", "es")))
    assert pack.languages == ("en", "es") and pack.name == "File pack"
    assert pack.reflection_for(date(2024, 2, 29), "es").title == "es title 02-29"
    assert pack.step(1).number == 1


def test_broken_pack_lists_every_problem() -> None:
    with pytest.raises(PackError) as info:
        load_pack(FIXTURES / "broken")
    problems = "\n".join(info.value.problems)
    for expected in (
        "manifest: 'name' must be a non-empty string",
        "manifest: 'source' must be a non-empty string",
        "day 01-01 already given in en/01.toml",
        "got '13-01'",
        "reflection for 01-02: 'title' is missing or empty",
        "reflection for 01-03: 'step' must be a whole number 1–12, got 14",
        "reflection for 01-04: unknown key(s) qestion",
        "reflection for 01-04: 'question' is missing or empty",
        "fr/: folder for a language not listed",
        "en: 362 of 366 days missing: 01-05–12-31",
    ):
        assert expected in problems
    assert "invalid reflection pack" in str(info.value)


def test_missing_days_are_shown_as_ranges(tmp_path: Path) -> None:
    skip = {"es": {"02-29", "07-01", "07-02", "07-03"}}
    problems = check_pack(write_dir_pack(tmp_path / "p", skip=skip))
    assert problems == ["es: 4 of 366 days missing: 02-29, 07-01–07-03"]


def test_languages_must_agree_on_the_step(tmp_path: Path) -> None:
    root = write_dir_pack(tmp_path / "p")
    path = root / "es" / "05.toml"
    path.write_text(
        path.read_text("utf-8").replace('day = "05-01"\nstep = 5', 'day = "05-01"\nstep = 6'),
        "utf-8",
    )
    assert check_pack(root) == ["es: day 05-01 is about step 6 but en says step 5"]


def test_unreadable_files_and_paths(tmp_path: Path) -> None:
    root = write_dir_pack(tmp_path / "p", languages=("en",))
    (root / "en" / "13.toml").write_text("[[reflection]\nday = ", "utf-8")
    assert any("en/13.toml: not valid TOML" in p for p in check_pack(root))
    assert check_pack(tmp_path / "nowhere") == ["no such file or directory"]
    (tmp_path / "pack.txt").write_text("hello", "utf-8")
    assert check_pack(tmp_path / "pack.txt") == ["a pack file must end in .toml or .json"]
    (tmp_path / "empty").mkdir()
    assert any("pack.toml" in p for p in check_pack(tmp_path / "empty"))
    assert any("no language" in p for p in check_pack(FIXTURES / "tiny.json")) is False
    assert check_pack(FIXTURES / "tiny.json") == [
        "en: 365 of 366 days missing: 01-01–02-28, 03-01–12-31"
    ]


def test_pack_from_config(tmp_path: Path) -> None:
    write_dir_pack(tmp_path / "mine", name="Operator pack")
    pack = pack_from_config({"reflections": {"pack": "mine"}}, tmp_path)
    assert pack.name == "Operator pack"
    with pytest.raises(PackError):
        pack_from_config({"reflections": {"pack": "missing"}}, tmp_path)


def _missing_months() -> list[str]:
    root = Path(reflections.__file__).parent / "content" / "reflections"
    return [
        f"{lang}/{m:02d}.toml"
        for lang in ("en", "es")
        for m in range(1, 13)
        if not (root / lang / f"{m:02d}.toml").exists()
    ]


def test_shipped_pack_is_complete_and_follows_the_guidelines() -> None:
    missing = _missing_months()
    if missing:
        pytest.skip(f"shipped reflections still being written; missing: {', '.join(missing)}")
    pack = builtin_pack()
    assert pack.languages == ("en", "es")
    assert pack.source == "Written by the stepbot contributors, CC0"
    for lang in pack.languages:
        assert len(pack.reflections[lang]) == 366
        for r in pack.days(lang):
            assert r.step == r.month, f"{lang} {r.day}: step {r.step}"
            words = len(r.body.split())
            assert 120 <= words <= 250, f"{lang} {r.day}: {words} words"
            assert r.question.rstrip().endswith("?"), f"{lang} {r.day}: question"
    titles = {pack.reflection_for(date(2024, 2, 29), lang).title for lang in pack.languages}
    assert len(titles) == 2
    assert len(reflections.all_steps("es", neutral=True)) == 12


# -- the command line ---------------------------------------------------------------------------


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    write_dir_pack(tmp_path / "cli-pack")
    path = tmp_path / "config.toml"
    path.write_text('[reflections]\npack = "cli-pack"\n[bot]\ndefault_language = "es"\n', "utf-8")
    return path


def test_cli_reflection_json(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(config_file), "reflection", "--date", "2024-02-29", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "date": "2024-02-29",
        "step": 2,
        "title": "es title 02-29",
        "body": "es body for 02-29.",
        "question": "es question 02-29?",
        "source": "Test fixtures, CC0",
        "language": "es",
    }


def test_cli_reflection_text_and_errors(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_file), "reflection", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "en title" in out and "Step" in out and "Test fixtures, CC0" in out
    assert main(["--config", str(config_file), "reflection", "--date", "2026-13-01"]) == 2
    assert "--date" in capsys.readouterr().err
    assert main(["--config", str(config_file), "reflection", "--lang", "fr"]) == 2
    other = write_file_pack(tmp_path / "other.json")
    assert (
        main(
            [
                "--config",
                str(config_file),
                "reflection",
                "--pack",
                str(other),
                "--date",
                "2026-01-05",
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["title"] == "en title 01-05"


def test_cli_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_dir_pack(tmp_path / "good")
    assert main(["reflections", "check", str(good)]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "732 reflections" in out and "12 steps" in out
    assert main(["reflections", "check", str(FIXTURES / "broken")]) == 2
    err = capsys.readouterr().err
    assert "INVALID" in err and "day 01-01 already given" in err and "qestion" in err

"""`flask --app wsgi surveys validate|load|list`."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveys.config import BUNDLED_SURVEYS_DIR

GOOD = """\
id: tiny
version: 1
public: true
title: Tiny
pages:
  - title: Only
    questions:
      - {name: q, type: text, label: Q}
"""
BAD = """\
id: broken
version: 1
title: Broken
pages:
  - title: Only
    questions:
      - {name: q, type: txt, label: Q}
      - {name: r, type: integer, label: R, relevant: "${q} ="}
"""


@pytest.fixture
def files(tmp_path: Path):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text(BAD)
    return tmp_path


def test_validate_a_good_file(runner, files):
    result = runner.invoke(args=["surveys", "validate", str(files / "good.yaml")])
    assert result.exit_code == 0
    assert result.output == "ok: tiny version 1: 1 pages, 1 questions, languages en\n"


def test_validate_names_every_problem_and_exits_1(runner, files):
    result = runner.invoke(args=["surveys", "validate", str(files)])
    assert result.exit_code == 1
    bad = str(files / "bad.yaml")
    assert result.stderr.splitlines() == [
        f"{bad}:7: question 'q': unknown type 'txt'; did you mean 'text'?",
        f"{bad}:8: question 'r': relevant '${{q}} =': the expression ends too early",
    ]


def test_validate_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["surveys", "validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "nope.yaml: no such file" in result.stderr


def test_load_list_and_reload(runner, files, respondent):
    result = runner.invoke(args=["surveys", "load", str(files / "good.yaml")])
    assert (result.exit_code, result.output) == (0, "loaded: tiny version 1\n")
    result = runner.invoke(args=["surveys", "load", str(files / "good.yaml")])
    assert (result.exit_code, result.output) == (0, "unchanged: tiny version 1\n")

    person = respondent("tiny")
    person.post(1, {"q": "hello"}, action="submit")
    result = runner.invoke(args=["surveys", "list"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "id    version  title  languages  responses",
        "tiny  1        Tiny   en         1",
    ]


def test_same_version_with_other_content_is_refused(runner, files):
    runner.invoke(args=["surveys", "load", str(files / "good.yaml")])
    changed = files / "changed.yaml"
    changed.write_text(GOOD.replace("label: Q", "label: Question"))
    (files / "other.yaml").write_text(GOOD.replace("id: tiny", "id: other"))
    result = runner.invoke(args=["surveys", "load", str(files / "other.yaml"), str(changed)])
    assert result.exit_code == 1
    assert "tiny version 1 is already loaded with different content; bump the version" in (
        result.stderr
    )
    assert "nothing loaded" in result.stderr
    listing = runner.invoke(args=["surveys", "list"]).output
    assert "other" not in listing  # all or nothing
    changed.write_text(
        GOOD.replace("label: Q", "label: Question").replace("version: 1", "version: 2")
    )
    result = runner.invoke(args=["surveys", "load", str(changed)])
    assert (result.exit_code, result.output) == (0, "loaded: tiny version 2\n")


def test_a_broken_file_loads_nothing(runner, files):
    result = runner.invoke(args=["surveys", "load", str(files)])
    assert result.exit_code == 1
    assert "nothing loaded" in result.stderr
    assert runner.invoke(args=["surveys", "list"]).output.startswith("no surveys loaded")


def test_load_without_paths_loads_the_bundled_surveys(runner):
    result = runner.invoke(args=["surveys", "load"])
    assert result.exit_code == 0, result.output
    loaded = sorted(line.rsplit(" ", 1)[0] for line in result.output.splitlines())
    assert loaded == [
        "loaded: followup-1y version",
        "loaded: followup-5y version",
        "loaded: intake version",
        "loaded: mentor version",
    ]
    assert BUNDLED_SURVEYS_DIR.name == "bundled"


def test_translations_prints_completeness_per_language(runner, tmp_path):
    path = tmp_path / "bi.yaml"
    path.write_text(
        "id: bi\nversion: 1\ntitle: {en: Two, es: Dos}\nlanguages: [en, es, fr]\n"
        "pages:\n  - title: {en: One, es: Uno}\n    questions:\n"
        "      - {name: q, type: text, label: {en: Q, es: P, fr: Q}}\n"
    )
    result = runner.invoke(args=["surveys", "translations", str(path), "--missing"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "bi version 1",
        "  en     100.0%  3/3 (default)",
        "  es     100.0%  3/3",
        "  fr      33.3%  1/3",
        "         missing: survey title",
        "         missing: page 'page_1' title",
    ]
    runner.invoke(args=["surveys", "load", str(path)])
    loaded = runner.invoke(args=["surveys", "translations", "bi"])
    assert loaded.output.splitlines()[3] == "  fr      33.3%  1/3"
    unknown = runner.invoke(args=["surveys", "translations", "nope"])
    assert unknown.exit_code == 1 and "no survey 'nope' is loaded" in unknown.stderr


def test_bundled_surveys_are_complete_in_six_languages(runner):
    runner.invoke(args=["surveys", "load"])
    result = runner.invoke(args=["surveys", "translations", "intake"])
    lines = result.output.splitlines()[1:]
    assert [line.split()[0] for line in lines] == ["en", "es", "pt_BR", "fr", "sw", "ar"]
    assert all("100.0%" in line for line in lines)


def test_validate_warns_of_missing_translations_that_fall_back(runner, tmp_path):
    partial = tmp_path / "partial.yaml"
    partial.write_text(
        "id: partial\nversion: 1\ntitle: {en: Partial, es: Parcial}\nlanguages: [en, es]\n"
        "pages:\n  - title: One\n    questions:\n"
        "      - {name: a, type: text, label: {en: A, es: A}}\n"
        "      - {name: b, type: text, label: B}\n"
    )
    result = runner.invoke(args=["surveys", "validate", str(partial)])
    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: {partial}: 2 of 4 texts have no 'es' translation and show in 'en'; "
        f"`surveys translations --missing {partial}` lists them\n"
    )
    listed = runner.invoke(args=["surveys", "translations", "--missing", str(partial)])
    assert "missing: question 'b' label" in listed.output
    assert "missing: page 'page_1' title" in listed.output

"""The demographic library: blocks, countries and regions, hierarchies, configuration."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pycountry
import pytest
from sqlalchemy import select

from surveys.config import BUNDLED_SURVEYS_DIR
from surveys.definitions import read_definition
from surveys.demographics import PREFER_NOT_TO_SAY, block_names, load_block
from surveys.demographics.countries import country_name, m49_regions
from surveys.extensions import db
from surveys.models import Response
from surveys.survey_versions import content_hash

SURVEY = """\
id: demo
version: 1
title: Demo
languages: [en, es, fr, pt]
programme_question: programme
pages:
  - title: Programme
    questions:
      - name: programme
        type: select_one programmes
        label: Programme
  - title: About you
    questions:
{includes}
choices:
  programmes:
    - {{code: gsoc, label: GSoC}}
    - {{code: gsod, label: GSoD}}
"""


def read(tmp_path: Path, includes: str, programmes: dict[str, str] | None = None):
    (tmp_path / "programmes").mkdir(exist_ok=True)
    for name, text in (programmes or {}).items():
        (tmp_path / "programmes" / f"{name}.yaml").write_text(textwrap.dedent(text))
    path = tmp_path / "demo.yaml"
    body = textwrap.indent(textwrap.dedent(includes).strip(), " " * 6)
    path.write_text(SURVEY.format(includes=body))
    definition, problems = read_definition(path)
    return definition, [str(p).replace(str(path), "F") for p in problems]


def questions_of(definition: dict) -> dict[str, dict]:
    return {q["name"]: q for page in definition["pages"] for q in page["questions"]}


@pytest.mark.parametrize("block", block_names())
def test_every_block_validates_and_is_optional(tmp_path, block):
    definition, problems = read(tmp_path, f"- include: demographics/{block}")
    assert problems == []
    included = [q for q in definition["pages"][1]["questions"]]
    assert included
    for question in included:
        assert question["required"] is False
        if question["list"]:
            codes = [c["code"] for c in definition["choices"][question["list"]]]
            assert PREFER_NOT_TO_SAY in codes, question["name"]
            assert question["privacy"] in ("quasi_identifier", "sensitive")


def test_the_library_has_the_blocks_programmes_asked_for():
    assert set(block_names()) == {
        "age_range",
        "country",
        "qualification_earned",
        "income_class",
        "gender",
        "employment",
        "first_generation",
        "languages",
        "disability",
    }


@pytest.mark.parametrize("block", block_names())
def test_every_hierarchy_covers_every_code_exactly_once_at_each_level(tmp_path, block):
    definition, problems = read(tmp_path, f"- include: demographics/{block}")
    assert problems == []
    block_lists = load_block(block)["choices"]
    for list_name, info in definition["code_lists"].items():
        codes = {c["code"] for c in definition["choices"][list_name]}
        # Codes of the list that are no longer offered keep their place in the hierarchy:
        # answers given when they were are exported with it (the newest version's).
        codes |= {c for item in block_lists[list_name] for c in item.get("not_offered", ())}
        if any(q["other"] for q in questions_of(definition).values() if q["list"] == list_name):
            codes.add("other")
        assert info["hierarchy"], list_name
        for level in info["hierarchy"]:
            # A mapping gives each code exactly one parent; every code must have one.
            assert set(level["map"]) == codes, (list_name, level["level"])
            codes = set(level["map"].values())
        assert PREFER_NOT_TO_SAY in codes  # never merged into a real answer


def test_age_ranges_generalise_to_ten_year_bands_then_broad_groups(tmp_path):
    definition, _ = read(tmp_path, "- include: demographics/age_range")
    ten_years, broad = definition["code_lists"]["age_range"]["hierarchy"]
    assert ten_years["map"]["30-34"] == "25-34"
    assert broad["map"]["25-34"] == "18-34"
    assert broad["map"]["45-54"] == "35-54"
    assert broad["map"]["65+"] == "55+"


def test_m49_covers_every_pycountry_country_and_kosovo():
    regions = m49_regions()
    assert {c.alpha_3 for c in pycountry.countries} <= set(regions)
    assert set(regions) - {c.alpha_3 for c in pycountry.countries} == {"XKX"}
    assert regions["XKX"]["subregion"] == "Southern Europe"
    assert regions["TWN"]["subregion"] == "Eastern Asia"
    assert regions["ATA"]["region"] == "Antarctica"
    assert regions["BRA"]["subregion"] == "Latin America and the Caribbean"
    assert regions["NGA"]["subregion"] == "Sub-Saharan Africa"
    assert regions["NGA"]["region"] == "Africa"


def test_country_hierarchy_goes_to_m49_subregion_then_region(tmp_path):
    definition, _ = read(tmp_path, "- include: demographics/country")
    subregion, region = definition["code_lists"]["country"]["hierarchy"]
    assert subregion["map"]["KEN"] == "m49_202"  # Sub-Saharan Africa
    assert region["map"]["m49_202"] == "m49_002"  # Africa
    assert region["map"]["m49_419"] == "m49_019"  # Latin America -> Americas


@pytest.mark.parametrize(
    ("language", "germany", "cote_divoire"),
    [
        ("es", "Alemania", "Côte d’Ivoire"),
        ("fr", "Allemagne", "Côte d’Ivoire"),
        ("pt", "Alemanha", "Costa do Marfim"),
        ("sw", "Ujerumani", "Cote d’Ivoire"),
        ("ar", "ألمانيا", "ساحل العاج"),
    ],
)
def test_country_names_are_translated(language, germany, cote_divoire):
    assert country_name("DEU", language) == germany
    assert country_name("CIV", language) == cote_divoire
    assert country_name("TWN", "en") == "Taiwan"
    assert country_name("XKX", "en") == "Kosovo"


COUNTRY_SURVEY = """\
id: where
version: 1
public: true
title: Where
languages: [en, es]
pages:
  - title: Country
    questions:
      - include: demographics/country
"""


def test_country_list_renders_in_the_respondents_language_sorted(make_survey, respondent):
    make_survey(COUNTRY_SURVEY)
    person = respondent("where")
    person.open("/s/where?lang=es")
    select_ = person.page.find("select", attrs={"name": "country"})
    options = [(o["value"], o.get_text()) for o in select_.find_all("option")]
    assert options[0] == ("", "Elige…")  # the interface speaks Spanish too
    assert options[1] == ("pnts", "Prefiero no responder")
    names = [name for code, name in options[2:]]
    assert "Alemania" in names and "Sudáfrica" in names
    assert names.index("Alemania") < names.index("Bélgica") < names.index("Camerún")
    # 250 places less the 7 where nobody lives (test_cldr_names.py)
    assert len(options) == 243 + 2
    person.post(1, {"country": "ZAF"}, action="submit")
    assert person.last.request.path == "/s/where/thanks"
    assert "Gracias" in person.last.text


def test_includes_can_reword_drop_add_and_choose_questions(tmp_path):
    definition, problems = read(
        tmp_path,
        """
        - include: demographics/age_range
          label: {en: Your age, es: Tu edad}
          drop: [under_18]
          add: [{code: retired_mentor, label: I am a retired mentor}]
        - include: demographics/gender
          questions: [transgender, gender]
          override: {gender: {hint: Any that fit.}}
        """,
    )
    assert problems == []
    questions = questions_of(definition)
    assert questions["age_range"]["label"] == {"en": "Your age", "es": "Tu edad"}
    codes = [c["code"] for c in definition["choices"]["age_range"]]
    assert "under_18" not in codes
    assert codes[-2:] == ["retired_mentor", "pnts"]
    assert [q for q in questions if q.startswith(("gender", "trans"))] == ["transgender", "gender"]
    assert questions["gender"]["hint"] == {"en": "Any that fit."}
    hierarchy = definition["code_lists"]["age_range"]["hierarchy"]
    assert all(level["map"].get("retired_mentor") for level in hierarchy[:1])


@pytest.mark.parametrize(
    ("include", "message"),
    [
        ("- include: demographics/shoe_size", "no demographic block 'shoe_size'"),
        ("- include: shoe_size", "include must name a block as 'demographics/NAME'"),
        (
            "- include: demographics/age_range\n  drop: [pnts]",
            "'Prefer not to say' (pnts) is always offered",
        ),
        (
            "- include: demographics/age_range\n  drop: [teen]",
            "drop names 'teen', which is not a code",
        ),
        (
            "- include: demographics/age_range\n  required: true",
            "unknown key 'required' in an include",
        ),
        ("- include: demographics/gender\n  label: G", "label applies to a block of one question"),
        (
            "- include: demographics/gender\n  questions: [sex]",
            "questions must be a list of this block's questions",
        ),
        ("- include: demographics/gender\n  override: {sex: {label: S}}", "override names 'sex'"),
    ],
)
def test_bad_includes_are_named(tmp_path, include, message):
    _, problems = read(tmp_path, include)
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize(
    "name",
    [
        "../../bundled/followup-1y",  # a file that exists
        "../../bundled/no-such-file",  # one that does not: the same answer
        "./age_range",
        "../blocks/age_range",
        "/etc/hosts",
        "age_range.yaml",
        "",
    ],
)
def test_only_names_from_the_library_can_be_included(tmp_path, name):
    definition, problems = read(
        tmp_path, f"- include: demographics/{name}\n- {{name: city, type: text, label: City}}"
    )
    assert definition is None
    assert [p.split(": ", 1)[1] for p in problems] == [
        f"include 'demographics/{name}': no demographic block {name!r}; "
        f"blocks: {', '.join(block_names())}"
    ]
    assert load_block(name) is None


def test_self_described_gender_is_never_exported(tmp_path):
    definition, _ = read(tmp_path, "- include: demographics/gender")
    assert questions_of(definition)["gender_self_describe"]["export"] == "never"


def test_a_programme_configuration_changes_what_its_intake_asks(tmp_path):
    includes = "- include: demographics/age_range\n- include: demographics/income_class"
    definition, problems = read(tmp_path, includes)
    assert problems == []
    assert questions_of(definition)["relative_income"]["relevant"] is None

    definition, problems = read(
        tmp_path,
        includes,
        {"gsod": "programme: gsod\nintake:\n  demographics: [age_range]\n"},
    )
    assert problems == []
    questions = questions_of(definition)
    assert questions["relative_income"]["relevant"] == "not(selected(${programme}, 'gsod'))"
    assert questions["age_range"]["relevant"] is None


def test_bundled_intake_asks_gsod_mentees_fewer_questions(runner, respondent):
    assert runner.invoke(args=["surveys", "load"]).exit_code == 0
    asked = {}
    for programme in ("gsoc", "gsod"):
        person = respondent("intake")
        person.post(1, {"consent": "y"})
        person.post(2, {"programme": programme})
        person.post(3, {"prior_contributions": "never"})
        person.post(4, {})
        asked[programme] = set(person.questions())
    assert "relative_income" in asked["gsoc"]
    assert "relative_income" not in asked["gsod"]
    assert "qualification_earned" in asked["gsod"]


def test_a_bad_programme_file_is_reported(tmp_path):
    _, problems = read(
        tmp_path,
        "- include: demographics/age_range",
        {"gsod": "programme: gsod\nintake:\n  demographics: [shoe_size]\n"},
    )
    assert any("programme file gsod.yaml: no demographic block 'shoe_size'" in p for p in problems)


def test_responses_record_the_code_list_versions_they_used(runner, respondent, app):
    runner.invoke(args=["surveys", "load"])
    person = respondent("intake")
    person.post(1, {"consent": "y"})
    person.post(2, {"programme": "gsoc"})
    person.post(3, {"prior_contributions": "never"})
    person.post(4, {"age_range": "25-29"})
    person.post(5, {}, action="submit")
    with app.app_context():
        response = db.session.scalar(select(Response))
        versions = response.code_list_versions
    assert versions["age_range"] == 1
    assert versions["country"] == 1
    assert versions["isced_2011"] == 1


def test_blocks_have_a_code_list_id_and_version():
    for name in block_names():
        block = load_block(name)
        assert isinstance(block["code_list"]["id"], str)
        assert isinstance(block["code_list"]["version"], int)


def test_a_block_included_several_times_keeps_its_lists_in_its_own_order(tmp_path):
    # Once per page, say, each time choosing some of its questions: the lists still join
    # the survey block by block, each in the block's order, so the stored definition does
    # not depend on how a survey lays the block out.
    definition, problems = read(
        tmp_path,
        """
        - include: demographics/gender
          questions: [transgender]
        - include: demographics/age_range
        - include: demographics/gender
          questions: [gender]
        """,
    )
    assert problems == []
    assert list(definition["choices"]) == ["programmes", "gender", "transgender", "age_range"]
    assert [q["name"] for q in definition["pages"][1]["questions"]] == [
        "transgender",
        "age_range",
        "gender",
    ]
    assert set(definition["code_lists"]) == {"gender", "transgender", "age_range"}


def test_follow_up_blocks_are_included_by_name_and_record_no_code_list(tmp_path):
    definition, problems = read(
        tmp_path,
        """
        - include: followup/outcomes
          questions: [recommend]
          label: Would you recommend it?
        """,
    )
    assert problems == []
    assert questions_of(definition)["recommend"]["label"] == {"en": "Would you recommend it?"}
    codes = [c["code"] for c in definition["choices"]["likelihood"]]
    assert codes == ["definitely", "probably", "probably_not", "definitely_not"]
    # Not demographics: no versioned code list, and no programme decides who is asked.
    assert definition["code_lists"] == {}
    assert questions_of(definition)["recommend"]["relevant"] is None


@pytest.mark.parametrize("name", ["../blocks/age_range", "age_range", "", "outcomes.yaml"])
def test_only_names_from_the_follow_up_folder_can_be_included(tmp_path, name):
    definition, problems = read(
        tmp_path, f"- include: followup/{name}\n- {{name: city, type: text, label: City}}"
    )
    assert definition is None
    assert [p.split(": ", 1)[1] for p in problems] == [
        f"include 'followup/{name}': no follow-up block {name!r}; blocks: outcomes"
    ]


def test_a_list_of_the_survey_cannot_take_the_name_of_an_included_one(tmp_path):
    _, problems = read(tmp_path, "- include: demographics/age_range")
    assert problems == []
    path = tmp_path / "demo.yaml"
    path.write_text(path.read_text() + "  age_range:\n    - {code: young, label: Young}\n")
    _, problems = read_definition(path)
    message = "list 'age_range' comes from the block demographics/age_range"
    assert any(message in str(p) for p in problems), problems


def test_the_bundled_intake_reads_as_version_7_was_stored():
    # Its demographic questions come from the blocks, and its names of countries and
    # languages from CLDR (Babel): a change to a block, to how includes expand, or to
    # CLDR's names changes the intake's content, which needs a new version (and a new
    # line here) so that no stored answer changes meaning. Version 6 held pycountry's
    # names, Spring to Winter without a year, and a welcome naming only the consent.
    definition, problems = read_definition(BUNDLED_SURVEYS_DIR / "intake.yaml")
    assert problems == []
    assert definition["version"] == 7
    assert content_hash(definition) == (
        "4bcc462ceba6cc2d7b35fe354bf4f8389d759f42e96c49ef7c58140bebbbab1d"
    )

"""The public survey, personal links and the admin area in a real browser (Debian's
Chromium through Playwright): as respondents with JavaScript on and off, by keyboard only,
checked by axe-core on every page, with phone-sized screenshots in test-artifacts/.

Without Chromium these tests skip with the reason; CI sets REQUIRE_BROWSER=1, where a
missing browser fails the run instead.
"""

from __future__ import annotations

import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.followups.links import new_link
from surveys.models import Contact, Invitation, Participant
from tests.conftest import STAFF_PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says so: a skip, or a failure in CI
    expect = None

# browser, live_server, new_context, audit, screenshot, surveys_loaded
pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

# The interface's words, from the catalogs, as a respondent reads them.
WORDS = {
    "en": {"next": "Next", "back": "Back", "submit": "Submit", "thanks": "Thank you"},
    "es": {"next": "Siguiente", "back": "Atrás", "submit": "Enviar", "thanks": "Gracias"},
    "ar": {"next": "التالي", "back": "السابق", "submit": "إرسال", "thanks": "شكرًا"},
}
INTAKE_TITLES = {
    "es": ["Antes de empezar", "Tu programa", "Tu experiencia en código abierto", "Sobre ti"]
    + ["Estudios y trabajo"],
    "ar": ["قبل أن نبدأ", "برنامجك", "خبرتك في البرمجيات مفتوحة المصدر", "معلومات عنك"]
    + ["التعليم والعمل"],
}
YEARS_ERROR = {
    "es": "Escribe un número de años de 0 a 70.",
    "ar": "يُرجى إدخال عدد سنوات من 0 إلى 70.",
}
FIRST_PAGE_BUDGET = 30 * 1024


def heading(page, text: str, lang: str, direction: str = "ltr") -> None:
    """The page has loaded (stylesheet included) with this h1, in this language."""
    expect(page.locator("h1")).to_have_text(text)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", direction)
    page.wait_for_load_state("load")


def press(page, lang: str, word: str) -> None:
    page.get_by_role("button", name=WORDS[lang][word], exact=True).click()


# --- the intake ---------------------------------------------------------------------------


def test_intake_in_spanish_with_switcher_back_next_and_an_error(
    live_server, surveys_loaded, new_context, audit, screenshot, responses_of
):
    page = new_context(locale="en-US").new_page()
    page.goto(f"{live_server}/s/intake")
    heading(page, "Before we start", "en")
    # The switcher keeps what was ticked before it.
    page.get_by_label("I agree that my answers are used").check()
    page.get_by_role("button", name="español").click()
    es = INTAKE_TITLES["es"]
    heading(page, es[0], "es")
    expect(page.locator("#consent")).to_be_checked()
    expect(page.locator(".progress")).to_have_text("Página 1 de 5")
    audit.check(page, "es intake 1")
    screenshot(page, "es-1")

    press(page, "es", "next")
    heading(page, es[1], "es")
    audit.check(page, "es intake 2")
    screenshot(page, "es-2")
    page.get_by_label("Google Summer of Code").check()
    press(page, "es", "next")

    heading(page, es[2], "es")
    audit.check(page, "es intake 3")
    screenshot(page, "es-3")
    page.get_by_label("Con regularidad").check()
    page.get_by_label("¿Cuántos años llevas programando?").fill("99")
    press(page, "es", "next")
    # Checked by the server, shown beside the field and in a summary, answers kept.
    heading(page, es[2], "es")
    expect(page.locator(".error-summary")).to_contain_text(YEARS_ERROR["es"])
    expect(page.locator("#q-years_programming .error")).to_have_text(YEARS_ERROR["es"])
    expect(page.get_by_label("Con regularidad")).to_be_checked()
    assert page.title().startswith("Error:")
    audit.check(page, "es intake 3, error")
    screenshot(page, "es-3-error")
    page.locator("#years_programming").fill("4")
    press(page, "es", "next")

    heading(page, es[3], "es")
    audit.check(page, "es intake 4")
    screenshot(page, "es-4")
    press(page, "es", "back")
    heading(page, es[2], "es")
    expect(page.locator("#years_programming")).to_have_value("4")
    press(page, "es", "next")
    heading(page, es[3], "es")
    press(page, "es", "next")

    heading(page, es[4], "es")
    audit.check(page, "es intake 5")
    screenshot(page, "es-5")
    press(page, "es", "submit")
    heading(page, WORDS["es"]["thanks"], "es")
    audit.check(page, "es thanks")
    screenshot(page, "es-thanks")

    audit.assert_clean()
    [(locale, answers)] = responses_of("intake")
    assert locale == "es"
    assert answers == {
        "consent": True,
        "programme": "gsoc",
        "prior_contributions": "regularly",
        "years_programming": 4,
    }


def test_intake_in_arabic_right_to_left(
    live_server, surveys_loaded, new_context, audit, screenshot, responses_of
):
    page = new_context(locale="en-US").new_page()
    page.goto(f"{live_server}/s/intake?lang=ar")
    ar = INTAKE_TITLES["ar"]
    heading(page, ar[0], "ar", "rtl")
    expect(page.locator(".progress")).to_have_text("الصفحة 1 من 5")
    audit.check(page, "ar intake 1")
    screenshot(page, "ar-1")
    page.locator("#consent").check()
    press(page, "ar", "next")

    heading(page, ar[1], "ar", "rtl")
    audit.check(page, "ar intake 2")
    screenshot(page, "ar-2")
    page.get_by_label("Outreachy").check()
    page.get_by_label("في أي سنة بدأت فترة إرشادك؟").select_option("2026")
    page.get_by_label("الصيف").check()
    press(page, "ar", "next")

    heading(page, ar[2], "ar", "rtl")
    audit.check(page, "ar intake 3")
    screenshot(page, "ar-3")
    page.get_by_label("لم يسبق لي ذلك").check()
    page.get_by_label("كم سنة من الخبرة لديك في البرمجة؟").fill("80")
    press(page, "ar", "next")
    heading(page, ar[2], "ar", "rtl")
    expect(page.locator(".error-summary")).to_contain_text(YEARS_ERROR["ar"])
    audit.check(page, "ar intake 3, error")
    screenshot(page, "ar-3-error")
    page.locator("#years_programming").fill("2")
    press(page, "ar", "next")

    heading(page, ar[3], "ar", "rtl")
    audit.check(page, "ar intake 4")
    screenshot(page, "ar-4")
    # Countries and languages named in Arabic, "Prefer not to say" first and set apart.
    countries = page.locator("select[name=country] option")
    expect(countries.nth(1)).to_have_attribute("value", "pnts")
    expect(countries.nth(1)).to_have_text("أفضّل عدم الإجابة")
    assert countries.nth(2).inner_text()[0] in "اأإآ"  # alef: the first letter
    first_box = page.locator("#q-languages_spoken li").first
    expect(first_box).to_have_text("أفضّل عدم الإجابة")
    line = first_box.evaluate("li => getComputedStyle(li).borderBlockEndStyle")
    assert line == "solid"
    page.get_by_label("الإسبانية").check()
    press(page, "ar", "next")
    heading(page, ar[4], "ar", "rtl")
    audit.check(page, "ar intake 5")
    screenshot(page, "ar-5")
    press(page, "ar", "submit")
    heading(page, WORDS["ar"]["thanks"], "ar", "rtl")
    audit.check(page, "ar thanks")
    screenshot(page, "ar-thanks")

    audit.assert_clean()
    [(locale, answers)] = responses_of("intake")
    assert locale == "ar"
    assert answers == {
        "consent": True,
        "programme": "outreachy",
        "term_year": "2026",
        "term": "summer",
        "prior_contributions": "never",
        "years_programming": 2,
        "languages_spoken": ["es"],
    }


def test_intake_with_javascript_off_in_spanish_then_arabic(
    live_server, surveys_loaded, new_context, screenshot, responses_of
):
    # Spanish from the browser's own language; no script can run on these pages.
    page = new_context(javascript=False, locale="es-ES").new_page()
    page.goto(f"{live_server}/s/intake")
    es, ar = INTAKE_TITLES["es"], INTAKE_TITLES["ar"]
    heading(page, es[0], "es")
    page.locator("#consent").check()
    press(page, "es", "next")

    heading(page, es[1], "es")
    page.locator("input[name=programme][value=other]").check()
    page.locator("#programme_other").fill("Hacktoberfest")
    press(page, "es", "next")

    heading(page, es[2], "es")
    page.get_by_label("Una o dos veces").check()
    page.locator("#years_programming").fill("-1")
    press(page, "es", "next")
    heading(page, es[2], "es")
    expect(page.locator(".error-summary")).to_contain_text(YEARS_ERROR["es"])
    screenshot(page, "es-3-error-nojs")
    page.locator("#years_programming").fill("7")
    # The switcher keeps what was typed on this page.
    page.get_by_role("button", name="العربية").click()
    heading(page, ar[2], "ar", "rtl")
    expect(page.locator("#years_programming")).to_have_value("7")
    press(page, "ar", "back")
    heading(page, ar[1], "ar", "rtl")
    expect(page.locator("#programme_other")).to_have_value("Hacktoberfest")
    press(page, "ar", "next")
    heading(page, ar[2], "ar", "rtl")
    expect(page.locator("#years_programming")).to_have_value("7")
    press(page, "ar", "next")
    heading(page, ar[3], "ar", "rtl")
    press(page, "ar", "next")
    heading(page, ar[4], "ar", "rtl")
    press(page, "ar", "submit")
    heading(page, WORDS["ar"]["thanks"], "ar", "rtl")
    screenshot(page, "ar-thanks-nojs")

    [(locale, answers)] = responses_of("intake")
    assert locale == "ar"
    assert answers == {
        "consent": True,
        "programme": "other",
        "programme_other": "Hacktoberfest",
        "prior_contributions": "once",
        "years_programming": 7,
    }


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches the selector, as a keyboard user."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def test_the_intake_can_be_completed_with_the_keyboard_alone(
    live_server, surveys_loaded, new_context, responses_of
):
    page = new_context(phone=False).new_page()
    page.goto(f"{live_server}/s/intake")
    heading(page, "Before we start", "en")
    tab_to(page, "#consent")
    page.keyboard.press("Space")
    tab_to(page, "button[value=next]")
    page.keyboard.press("Enter")

    heading(page, "Your programme", "en")
    tab_to(page, "input[name=programme]")
    page.keyboard.press("ArrowDown")  # from the first choice to the second, and picks it
    tab_to(page, "button[value=next]")
    page.keyboard.press("Enter")

    heading(page, "Your open-source experience", "en")
    tab_to(page, "input[name=prior_contributions]")
    page.keyboard.press("Space")
    tab_to(page, "#years_programming")
    page.keyboard.type("3")
    page.keyboard.press("Enter")  # Enter in a text box moves forward

    heading(page, "About you", "en")
    tab_to(page, "button[value=next]")
    page.keyboard.press("Enter")
    heading(page, "Education and work", "en")
    tab_to(page, "button[value=submit]")
    page.keyboard.press("Enter")
    heading(page, "Thank you", "en")

    [(locale, answers)] = responses_of("intake")
    assert answers == {
        "consent": True,
        "programme": "gsoc",
        "prior_contributions": "never",
        "years_programming": 3,
    }


def test_the_first_page_weighs_under_30_kb_and_needs_no_javascript(
    live_server, surveys_loaded, new_context
):
    page = new_context().new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(f"{live_server}/s/intake", wait_until="networkidle")
    heading(page, "Before we start", "en")

    sizes = {}
    for request in finished:
        measured = request.sizes()
        sizes[request.url] = measured["responseHeadersSize"] + measured["responseBodySize"]
    total = sum(sizes.values())
    print(f"first page of the intake: {total} bytes over the wire: {sizes}")
    assert {r.resource_type for r in finished} <= {"document", "stylesheet"}, sizes
    assert page.locator("script").count() == 0
    assert f"{live_server}/s/intake" in sizes and f"{live_server}/static/pathways.css" in sizes
    assert 0 < total < FIRST_PAGE_BUDGET, sizes


# --- personal links ---------------------------------------------------------------------------

ALUMNI = """\
email,name,role,language,status
ana@example.org,Ana,mentee,es,completed
eva@example.org,Eva,mentee,es,completed
ali@example.org,Ali,mentee,ar,completed
omar@example.org,Omar,mentee,ar,completed
"""
# Eva's and Omar's links have expired.
EXPIRED = {"eva@example.org", "omar@example.org"}
FOLLOWUP = {
    "es": {
        "pages": ["El código abierto hoy", "Tu trabajo", "Mirando atrás"],
        "still": "Sí, al proyecto en el que hice mi mentoría",
        "weekly": "Todas las semanas",
        "student": "Estudiante",
        "expired": "Este enlace expiró",
        "stop": "Dejar de recibir correos",
    },
    "ar": {
        "pages": ["البرمجيات مفتوحة المصدر اليوم", "عملك", "نظرة إلى الوراء"],
        "still": "نعم، في المشروع الذي تلقيت فيه الإرشاد",
        "weekly": "كل أسبوع",
        "student": "أتابع دراستي",
        "expired": "انتهت صلاحية هذا الرابط",
        "stop": "إيقاف رسائل البريد الإلكتروني",
    },
}


@pytest.fixture
def alumni_links(app, surveys_loaded, tmp_path) -> dict[str, str]:
    """Personal follow-up links (paths /f/<token>) of last year's mentees, by email."""
    path = tmp_path / "alumni.csv"
    path.write_text(ALUMNI)
    runner = app.test_cli_runner()
    term_end = (date.today() - timedelta(days=366)).isoformat()
    for args in (
        ["participants", "import", str(path), "--programme", "gsoc", "--term", "2024"]
        + ["--term-end", term_end],
        ["followups", "schedule"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    links = {}
    with app.app_context():
        rows = db.session.execute(
            select(Contact.email, Invitation)
            .join(Participant, Invitation.participant_id == Participant.id)
            .join(Contact, Contact.participant_id == Participant.id)
            .where(Invitation.survey_id == "followup-1y")
        ).all()
        for email, invitation in rows:
            if email in EXPIRED:
                invitation.expires_on = date.today() - timedelta(days=1)
            links[email] = f"/f/{new_link(invitation)}"
        db.session.commit()
    assert set(links) == {"ana@example.org", "eva@example.org", "ali@example.org"} | {
        "omar@example.org"
    }
    return links


@pytest.mark.parametrize(
    ("lang", "person", "expired"),
    [("es", "ana", "eva"), ("ar", "ali", "omar")],
)
def test_a_personal_link_in_the_participants_language(
    live_server, alumni_links, new_context, audit, screenshot, lang, person, expired, responses_of
):
    words, direction = FOLLOWUP[lang], "rtl" if lang == "ar" else "ltr"
    link = f"{live_server}{alumni_links[f'{person}@example.org']}"
    page = new_context().new_page()
    page.goto(link)
    heading(page, words["pages"][0], lang, direction)
    audit.check(page, f"{lang} follow-up 1")
    screenshot(page, f"{lang}-followup-1")
    page.get_by_label(words["still"]).check()
    press(page, lang, "next")
    # The answer opened a question on the same page.
    heading(page, words["pages"][0], lang, direction)
    expect(page.locator(".notice")).to_be_visible()
    audit.check(page, f"{lang} follow-up 1, more questions")
    screenshot(page, f"{lang}-followup-1-revealed")
    page.get_by_label(words["weekly"]).check()
    press(page, lang, "next")

    heading(page, words["pages"][1], lang, direction)
    audit.check(page, f"{lang} follow-up 2")
    screenshot(page, f"{lang}-followup-2")
    page.get_by_label(words["student"], exact=True).check()
    press(page, lang, "next")
    heading(page, words["pages"][2], lang, direction)
    audit.check(page, f"{lang} follow-up 3")
    screenshot(page, f"{lang}-followup-3")
    press(page, lang, "submit")
    heading(page, WORDS[lang]["thanks"], lang, direction)
    audit.check(page, f"{lang} follow-up answered")
    screenshot(page, f"{lang}-followup-answered")
    # The same link later, from another device: already answered.
    other_device = new_context().new_page()
    other_device.goto(link)
    heading(other_device, WORDS[lang]["thanks"], lang, direction)

    page.goto(f"{link}/opt-out")
    heading(page, words["stop"], lang, direction)
    audit.check(page, f"{lang} opt-out")
    screenshot(page, f"{lang}-opt-out")
    page.locator("button[value=stop_mail]").click()
    expect(page.locator("button")).to_have_count(0)
    page.wait_for_load_state("load")
    audit.check(page, f"{lang} opted out")
    screenshot(page, f"{lang}-opted-out")

    answer = page.goto(f"{live_server}{alumni_links[f'{expired}@example.org']}")
    assert answer.status == 410
    heading(page, words["expired"], lang, direction)
    audit.check(page, f"{lang} expired link")
    screenshot(page, f"{lang}-followup-expired")

    audit.assert_clean()
    [(locale, answers)] = responses_of("followup-1y")
    assert locale == lang
    assert answers == {
        "still_contributing": ["same_project"],
        "contribution_frequency": "weekly",
        "occupation": "student",
    }


# --- the admin area ---------------------------------------------------------------------------

ADMIN_PAGES = [
    ("/admin/dashboard", "Dashboard"),
    ("/admin/surveys", "Surveys"),
    ("/admin/programmes", "Programmes"),
    ("/admin/participants", "Participants"),
    ("/admin/followups", "Follow-ups"),
    ("/admin/audit", "Audit log"),
]


def test_admin_signs_in_and_downloads_an_export(
    app, live_server, surveys_loaded, staff, new_context, audit, tmp_path
):
    result = app.test_cli_runner().invoke(args=["dev", "synth", "--responses", "300"])
    assert result.exit_code == 0, result.output
    email = staff("admin")
    page = new_context(phone=False).new_page()
    page.goto(f"{live_server}/admin/")
    expect(page.locator("h1")).to_have_text("Sign in to Pathways")
    page.wait_for_load_state("load")
    audit.check(page, "admin sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".admin-nav .who")).to_have_text(f"{email} (admin)")
    page.wait_for_load_state("load")
    audit.check(page, "admin home")

    for path, menu_item in ADMIN_PAGES:
        page.goto(f"{live_server}{path}")
        expect(page.locator(".admin-nav [aria-current=page]")).to_have_text(menu_item)
        audit.check(page, path)

    page.goto(f"{live_server}/admin/exports")
    audit.check(page, "/admin/exports")
    page.get_by_label("Survey").select_option("intake")
    page.get_by_role("button", name="Start the export").click()
    # The export's job page: done here (tests run jobs inside the request), with its link.
    # The export runs inside the form's request, which takes a while on a busy machine.
    expect(page.locator("#job-state")).to_have_attribute("data-state", "done", timeout=60_000)
    audit.check(page, "export job")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the bundle").click()
    download = download_info.value
    assert download.suggested_filename == f"intake-{date.today().isoformat()}.zip"
    bundle = tmp_path / download.suggested_filename
    download.save_as(bundle)
    names = zipfile.ZipFile(bundle).namelist()
    assert "data.csv" in names and "methodology.json" in names

    page.goto(f"{live_server}/admin/exports")
    expect(page.locator("table#history tbody tr")).to_have_count(1)
    expect(page.locator("table#history tbody tr td").nth(2)).to_have_text("intake")
    audit.assert_clean()

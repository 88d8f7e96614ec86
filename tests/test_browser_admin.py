"""The admin area on a phone and a desktop in real Chromium (issue 18): every page fits
390 px without scrolling sideways (wide tables scroll inside their own box), each filter
bar reads fields first and its button last, the sign-in page has the area's styles, and
axe-core finds nothing serious. Screenshots of every page go to test-artifacts/."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from surveys.config import BUNDLED_SURVEYS_DIR
from tests.conftest import STAFF_PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture says so: a skip, or a failure in CI
    expect = None

pytest_plugins = ["tests.browser"]
pytestmark = pytest.mark.browser

# A common phone (an iPhone 12 to 15), and a laptop.
PHONE_390 = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# (path, the h1 it shows)
PAGES = [
    ("/admin/", "Pathways admin"),
    ("/admin/dashboard", "Outcomes dashboard"),
    ("/admin/surveys", "Surveys"),
    ("/admin/programmes", "Programmes and terms"),
    ("/admin/participants", "Participants"),
    ("/admin/followups", "Follow-ups"),
    ("/admin/exports", "Anonymised exports"),
    ("/admin/audit", "Audit log"),
    ("/admin/users", "Users"),
    ("/admin/mail", "Mail texts"),
    ("/admin/mail/gsoc", "Mail texts of Google Summer of Code"),
    ("/admin/mail/gsoc/invitation/ar", "Invitation of Google Summer of Code in العربية"),
    ("/admin/surveys/intake/responses", "Responses to intake"),
    ("/admin/surveys/followup-1y/responses?wave=followup-1y", "Responses to followup-1y"),
]

# What a page's layout looks like to a reader, measured in the browser.
MEASURE = """() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const name = e => e.getAttribute('name') || e.id || e.tagName.toLowerCase();
  const bars = [...document.querySelectorAll('.admin form[method=get]')].map(form => {
    const fields = [...form.querySelectorAll('select, textarea, input:not([type=hidden])')];
    const button = form.querySelector('button');
    return {
      name: form.getAttribute('aria-label') || form.getAttribute('role') || form.action,
      fields: fields.map(f => ({name: name(f), ...box(f)})),
      button: button && {name: button.textContent.trim(), ...box(button)},
      buttonLastInPage: !!button && fields.every(
        f => f.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING),
    };
  });
  // What sticks out of the window, outside the scroll boxes: the cause of a sideways scroll.
  const sticking = [...document.body.querySelectorAll('*')]
    .filter(e => !e.closest('.table-scroll'))
    .filter(e => { const r = e.getBoundingClientRect();
      return r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5); })
    .slice(0, 5).map(e => e.outerHTML.slice(0, 120));
  const scrollBoxes = [...document.querySelectorAll('.table-scroll')].map(e => ({
    tabindex: e.getAttribute('tabindex'), role: e.getAttribute('role'),
    label: (e.getAttribute('aria-labelledby') || '').split(' ')
      .map(id => document.getElementById(id)?.textContent.trim() || '').join(' ').trim()
      || e.getAttribute('aria-label') || '',
  }));
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: innerWidth,
    rtl: getComputedStyle(document.documentElement).direction === 'rtl',
    bars, sticking, scrollBoxes,
    unboxedTables: document.querySelectorAll('table:not(.table-scroll table)').length,
    stylesheets: [...document.styleSheets].map(s => s.href.split('/').pop()),
  };
}"""


def after(later: dict, earlier: dict, rtl: bool) -> bool:
    """`later` comes after `earlier` in reading order: on a line below, or on the same
    line further along it."""
    if later["top"] >= earlier["bottom"] - 1:
        return True
    same_line = later["top"] < earlier["bottom"] and later["bottom"] > earlier["top"]
    further = (
        later["right"] <= earlier["left"] + 1 if rtl else later["left"] >= earlier["right"] - 1
    )
    return same_line and further


def check_layout(page, path: str, width: int) -> dict:
    layout = page.evaluate(MEASURE)
    # A phone lays out a page wider than its screen at that width, zoomed out: the window
    # then grows past the screen's width too.
    laid_out = max(layout["scrollWidth"], layout["innerWidth"])
    assert laid_out <= width, (
        f"{path} scrolls sideways at {width} px (laid out {laid_out} px wide): {layout['sticking']}"
    )
    assert layout["stylesheets"] == ["admin.css"], (path, layout["stylesheets"])
    for bar in layout["bars"]:
        fields, button = bar["fields"], bar["button"]
        assert fields and button, (path, bar)
        assert bar["buttonLastInPage"], f"{path}: the button of {bar['name']} is not last"
        for earlier, later in zip(fields, [*fields[1:], button], strict=True):
            assert after(later, earlier, layout["rtl"]), (
                f"{path} at {width} px: {later['name']} shows before {earlier['name']}: {bar}"
            )
            if width <= PHONE_390["width"] and later is not button:
                # On a phone the fields stack, one under another, each within the window.
                assert later["top"] >= earlier["bottom"] - 1, (path, bar)
        assert all(f["left"] >= 0 and f["right"] <= width for f in fields), (path, bar)
    for scroll_box in layout["scrollBoxes"]:
        assert scroll_box["tabindex"] == "0" and scroll_box["role"] == "region", (path, scroll_box)
        assert scroll_box["label"], (path, scroll_box)
    assert layout["unboxedTables"] == 0, f"{path}: a table outside a .table-scroll box"
    return layout


@pytest.fixture
def busy_database(app, surveys_loaded) -> None:
    """Enough of everything that every table has rows: people, answers, invitations."""
    runner = app.test_cli_runner()
    for args in (["dev", "synth", "--responses", "150"], ["followups", "schedule"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output


def sign_in(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/admin/")
    expect(page.locator("h1")).to_have_text("Sign in to Pathways")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".admin-nav .who")).to_contain_text(email)


@pytest.mark.parametrize("viewport", [PHONE_390, DESKTOP], ids=["390px", "desktop"])
def test_every_admin_page_fits_the_window_with_its_filters_in_reading_order(
    live_server, busy_database, staff, new_context, audit, screenshot, viewport
):
    width, phone = viewport["width"], viewport is PHONE_390
    size = "390" if phone else "desktop"
    page = new_context(phone=phone, viewport=viewport).new_page()
    sign_in(page, live_server, staff("admin"))
    for path, title in PAGES:
        page.goto(f"{live_server}{path}")
        expect(page.locator("h1")).to_have_text(title)
        page.wait_for_load_state("load")
        check_layout(page, path, width)
        audit.check(page, f"{path} at {size}")
        screenshot(page, f"admin-{size}{path.rstrip('/').replace('/', '-')}")

    # A filtered search keeps the bar in order, with the results under it.
    page.goto(f"{live_server}/admin/participants")
    page.get_by_label("Status", exact=True).select_option("completed")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".admin table.data caption")).to_contain_text("participant")
    check_layout(page, "/admin/participants?status=completed", width)
    # The results table scrolls inside its box, which the keyboard can reach.
    box = page.locator(".table-scroll").first
    if phone:
        assert box.evaluate("e => e.scrollWidth > e.clientWidth"), "the table fits anyway?"
        box.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("e => e.scrollLeft > 0", arg=box.element_handle())
    screenshot(page, f"admin-{size}-participants-found")

    # Erasing a person, and a survey's preview with its per-question table.
    page.get_by_role("link", name="Erase…").first.click()
    expect(page.locator("h1")).to_have_text("Erase a person")
    check_layout(page, "/admin/participants/…/erase", width)
    audit.check(page, f"erase at {size}")
    screenshot(page, f"admin-{size}-erase")

    # A response, reached from its survey's list by its pseudonym.
    page.goto(f"{live_server}/admin/surveys/followup-1y/responses")
    page.locator("table.data tbody a").first.click()
    expect(page.locator("h1")).to_contain_text("Response ")
    page.wait_for_load_state("load")
    check_layout(page, "/admin/surveys/…/responses/…", width)
    audit.check(page, f"response at {size}")
    screenshot(page, f"admin-{size}-response")

    # A published version's preview, from the surveys list.
    page.goto(f"{live_server}/admin/surveys")
    page.locator("#survey-intake").get_by_role("link", name="Preview version").click()
    expect(page.locator("h1")).to_contain_text("Preview: intake version")
    page.wait_for_load_state("load")
    check_layout(page, "/admin/surveys/intake/versions/…", width)
    audit.check(page, f"published version preview at {size}")
    screenshot(page, f"admin-{size}-survey-version")

    # A programme's own wording, previewed with a sample link.
    page.goto(f"{live_server}/admin/mail/gsoc/invitation/es")
    page.get_by_label("Subject").fill("{programme}: {survey}")
    page.get_by_label("Message").fill("Hola {name}:\n\nCuéntanos: {link}\n\nHasta el {expires_on}.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview .mail-html a")).to_contain_text("/f/sample-link")
    page.wait_for_load_state("load")
    check_layout(page, "/admin/mail/gsoc/invitation/es (preview)", width)
    audit.check(page, f"mail wording preview at {size}")
    screenshot(page, f"admin-{size}-mail-wording-preview")

    page.goto(f"{live_server}/admin/surveys")
    page.locator("input[type=file]").set_input_files(str(BUNDLED_SURVEYS_DIR / "intake.yaml"))
    page.get_by_role("button", name="Check and preview").click()
    expect(page.locator("h1")).to_contain_text("Preview: intake")
    check_layout(page, "/admin/surveys/preview", width)
    audit.check(page, f"survey preview at {size}")
    screenshot(page, f"admin-{size}-survey-preview")
    audit.assert_clean()


# The properties by which a styled control differs from the browser's own.
STYLE = """selector => { const s = getComputedStyle(document.querySelector(selector));
  return {border: s.borderTopWidth + ' ' + s.borderTopStyle + ' ' + s.borderTopColor,
    radius: s.borderTopLeftRadius, padding: s.paddingTop + ' ' + s.paddingInlineStart,
    background: s.backgroundColor, color: s.color, height: s.minHeight, font: s.fontFamily}; }"""


def test_the_sign_in_page_is_styled_like_the_rest_of_the_area(
    live_server, staff, new_context, audit, screenshot
):
    staff("admin")
    context = new_context(phone=True, viewport=PHONE_390)
    plain = context.new_page()
    plain.set_content("<input type=email><input type=password><button>Sign in</button>")
    default = {
        kind: plain.evaluate(STYLE, selector)
        for kind, selector in (("input", "input[type=password]"), ("button", "button"))
    }

    page = context.new_page()
    page.goto(f"{live_server}/admin/login")
    expect(page.locator("h1")).to_have_text("Sign in to Pathways")
    page.wait_for_load_state("load")
    check_layout(page, "/admin/login", PHONE_390["width"])
    password, email, button = (
        page.evaluate(STYLE, selector)
        for selector in ("input[type=password]", "input[type=email]", "button[type=submit]")
    )
    for key in ("border", "radius", "padding", "font"):
        assert password[key] != default["input"][key], (key, password, default["input"])
    assert password == email  # one look for every text box
    for key in ("border", "radius", "background", "color", "font"):
        assert button[key] != default["button"][key], (key, button, default["button"])
    assert button["background"] == "rgb(29, 78, 216)" and button["color"] == "rgb(255, 255, 255)"
    # The other admin pages' buttons are the same.
    page.get_by_label("Email").fill("admin@pathways.test")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/admin/participants")
    expect(page.locator("h1")).to_have_text("Participants")
    assert page.evaluate(STYLE, "#import ~ form button[type=submit]") == button
    assert page.evaluate(STYLE, "#import ~ form input[type=text]") == email

    page.context.clear_cookies()
    page.goto(f"{live_server}/admin/login")
    page.locator("#email").focus()
    audit.check(page, "sign-in at 390")
    screenshot(page, "admin-390-sign-in")
    audit.assert_clean()


@pytest.mark.parametrize("viewport", [PHONE_390, DESKTOP], ids=["390px", "desktop"])
def test_the_participation_view_fits_and_reminds_one_person(
    app,
    live_server,
    busy_database,
    staff,
    mailbox,
    new_context,
    audit,
    screenshot,
    viewport,
    tmp_path,
):
    """Who has not answered, one person's invitations, and a reminder sent from there."""
    # Last year's alumni, whose 1-year follow-up is due.
    people = tmp_path / "alumni.csv"
    people.write_text("email,name,role,status\nana@example.org,Ana,mentee,completed\n")
    year_ago = (date.today() - timedelta(days=366)).isoformat()
    runner = app.test_cli_runner()
    for args in (
        ["participants", "import", str(people), "--programme", "gsoc", "--term", "alumni"],
        ["followups", "schedule"],
    ):
        extra = ["--term-end", year_ago] if args[0] == "participants" else []
        result = runner.invoke(args=args + extra)
        assert result.exit_code == 0, result.output
    width, phone = viewport["width"], viewport is PHONE_390
    size = "390" if phone else "desktop"
    page = new_context(phone=phone, viewport=viewport).new_page()
    sign_in(page, live_server, staff("admin"))
    page.goto(f"{live_server}/admin/participants")
    page.get_by_label("Participation").select_option("not_answered")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#answer-counts a[aria-current]")).to_contain_text("not answered")
    page.wait_for_load_state("load")
    check_layout(page, "/admin/participants?answer=not_answered", width)
    audit.check(page, f"participants not answered at {size}")
    screenshot(page, f"admin-{size}-participants-not-answered")

    page.locator("td.participation a").first.click()
    expect(page.locator("h1")).to_contain_text("Participation of")
    page.wait_for_load_state("load")
    check_layout(page, "/admin/participants/…", width)
    audit.check(page, f"one person's participation at {size}")
    screenshot(page, f"admin-{size}-participant")

    page.get_by_role("button", name="Send a reminder now").click()
    expect(page.locator(".flash").first).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Participation of")
    page.wait_for_load_state("load")
    screenshot(page, f"admin-{size}-participant-reminded")
    check_layout(page, "/admin/participants/… after a reminder", width)
    audit.check(page, f"one person's participation after a reminder at {size}")


# Each goal card as a reader sees it: its box, and whether any of its text is cut off.
CARDS = """() => [...document.querySelectorAll('#goals > li')].map(card => {
  const r = card.getBoundingClientRect();
  const figure = card.querySelector('.figure');
  return {id: card.id, left: r.left, right: r.right, top: r.top,
    clipped: card.scrollWidth > card.clientWidth + 1,
    figureSize: parseFloat(getComputedStyle(figure).fontSize),
    textSize: Math.min(...[...card.querySelectorAll('p, h3')].map(
      e => parseFloat(getComputedStyle(e).fontSize)))};
})"""


def test_the_goal_cards_are_readable_on_a_phone(
    live_server, busy_database, staff, new_context, audit, screenshot
):
    page = new_context(phone=True, viewport=PHONE_390).new_page()
    sign_in(page, live_server, staff("analyst"))
    page.goto(f"{live_server}/admin/dashboard")
    expect(page.locator("h1")).to_have_text("Outcomes dashboard")
    cards = page.evaluate(CARDS)
    assert len(cards) == 9
    for card in cards:
        assert card["left"] >= 0 and card["right"] <= PHONE_390["width"], card
        assert not card["clipped"], card
        assert card["textSize"] >= 14 and card["figureSize"] >= 24, card
    # One card under another: nothing squeezed side by side on a phone.
    tops = [card["top"] for card in cards]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    # A card's link takes the reader to its table further down.
    page.locator("#goal-africa a").first.click()
    expect(page.locator("#table-region_goals")).to_be_in_viewport()
    audit.check(page, "dashboard goal cards at 390")
    screenshot(page, "admin-390-dashboard-goals")
    audit.assert_clean()

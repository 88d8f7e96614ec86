"""The admin home page says what to do next instead of repeating the menu, and the admin
area has a stylesheet of its own (issue 18)."""

from __future__ import annotations

from bs4 import BeautifulSoup


def links(element) -> list[tuple[str, str]]:
    return [(a.get_text(strip=True), a["href"]) for a in element.find_all("a")]


def test_home_lists_next_steps_not_a_copy_of_the_menu(signed_in):
    page = BeautifulSoup(signed_in("admin").get("/admin/").text, "html.parser")
    menu = links(page.select_one("nav.admin-nav ul"))
    assert len(menu) == 10
    menu_labels = {label for label, _ in menu}
    menu_pages = {href for _, href in menu}
    content = page.select_one("div.admin")
    for listing in content.find_all(["ul", "ol"]):
        shown = links(listing)
        assert not menu_labels & {label for label, _ in shown}, shown
        assert {href.partition("#")[0] for _, href in shown} != menu_pages - {"/admin/"}
    steps = content.select("ol.next-steps > li")
    assert [links(step)[0] for step in steps] == [
        ("Add a programme and its terms", "/admin/programmes#add-programme"),
        ("Import a term's participants", "/admin/participants#import"),
        ("Publish a survey", "/admin/surveys#upload"),
        ("Send the follow-ups", "/admin/followups"),
        ("Read the outcomes", "/admin/dashboard"),
        ("Download an anonymised export", "/admin/exports"),
    ]
    assert all(step.p.get_text(strip=True) for step in steps)  # each says what it is for


def test_an_analyst_is_shown_only_the_steps_of_their_role(signed_in):
    page = BeautifulSoup(signed_in("analyst").get("/admin/").text, "html.parser")
    steps = [links(step)[0][1] for step in page.select("ol.next-steps > li")]
    assert steps == ["/admin/dashboard", "/admin/exports"]
    assert "an admin manages surveys" in page.select_one("div.admin").get_text()


def stylesheets(html: str) -> list[str]:
    page = BeautifulSoup(html, "html.parser")
    return [link["href"] for link in page.select("link[rel=stylesheet]")]


def test_the_admin_area_and_the_survey_each_load_their_own_stylesheet(app, client, signed_in):
    assert app.test_cli_runner().invoke(args=["surveys", "load"]).exit_code == 0
    assert stylesheets(client.get("/admin/login").text) == ["/static/admin.css"]
    assert stylesheets(signed_in("admin").get("/admin/participants").text) == ["/static/admin.css"]
    assert stylesheets(client.get("/s/intake").text) == ["/static/pathways.css"]

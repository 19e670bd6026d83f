"""A whole kiosk session in Chromium: questions from the vocabulary, the shortlist, compare, try-on, print, reset."""

import pytest
from kiosk_steps import answer_all, api, body_text, card_ids, choose, next_step, option, start
from playwright.sync_api import expect

FLAT_OVERPRONATING = {"arch_type": "Flat / low arch", "pronation": "Overpronation", "fit_issues": ["Hot, sweaty feet"]}
PROFILE = {"arch_type": "flat", "pronation": "overpronation", "fit_issues": ["hot_feet"], "limit": 5}


def test_root_leads_to_the_kiosk_and_its_questions_come_from_the_vocabulary(page, live_server, screenshot):
    vocabulary = api(live_server, "GET", "/v1/vocabulary")["fields"]
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/kiosk"
    screenshot(page, "kiosk-welcome")
    page.get_by_role("button", name="Start", exact=True).click()
    for question in ("arch_type", "pronation"):
        shown = page.locator(f'fieldset[data-question="{question}"] .option-label').all_inner_texts()
        assert shown == [term["label"] for term in vocabulary[question]]
    assert option(page, "arch_type", "Don't know").count() == 1
    screenshot(page, "kiosk-question")
    next_step(page)
    shown = page.locator('fieldset[data-question="fit_issues"] .option-label').all_inner_texts()
    assert shown == [term["label"] for term in vocabulary["fit_issues"]] + ["None of these"]
    # "None of these" and a problem exclude each other.
    choose(page, "fit_issues", "Blisters")
    choose(page, "fit_issues", "None of these")
    assert not option(page, "fit_issues", "Blisters").locator("input").is_checked()
    next_step(page)
    for question in ("symptoms", "pain_days", "conditions"):
        expect(page.locator(f'fieldset[data-question="{question}"]')).to_be_visible()
    severity = page.locator('fieldset[data-question="pain_severity"]')
    expect(severity).to_be_hidden()  # nothing hurts yet
    choose(page, "pain_days", "For a few days")
    expect(severity).to_be_visible()
    screenshot(page, "kiosk-pain", full_page=True)
    next_step(page)
    assert option(page, "terrain", "I don't know").count() == 1
    next_step(page)
    expect(page.locator('fieldset[data-question="width"]')).to_be_visible()
    expect(page.locator('fieldset[data-question="max_price"]')).to_be_visible()


def test_the_shortlist_is_the_services_answer_with_what_a_customer_needs(page, live_server, screenshot):
    answer_all(page, live_server, FLAT_OVERPRONATING)
    expected = api(live_server, "POST", "/v1/recommendations", PROFILE)
    assert card_ids(page) == [shoe["id"] for shoe in expected["recommendations"]]
    first, card = expected["recommendations"][0], page.locator(".card").first
    expect(card.locator(".shoe-name")).to_have_text(f"{first['brand']} {first['model']}")
    expect(card.locator(".price")).to_have_text(f"${first['price']:g}")
    expect(card.locator(".score-value")).to_have_text(f"{round(first['score'])}% match")
    expect(card.locator(".widths")).to_contain_text("Standard")
    why = card.locator(".why li").all_inner_texts()
    assert 2 <= len(why) <= 3 and why == first["why"][: len(why)]
    expect(page.locator("#warnings")).to_be_empty()
    screenshot(page, "kiosk-shortlist")

    page.locator(".card").nth(0).get_by_text("Compare").click()
    page.locator(".card").nth(1).get_by_text("Compare").click()
    table = page.locator(".compare-table")
    expect(table.locator("thead th")).to_have_count(2)
    rows = table.locator("tbody tr[data-attribute]").evaluate_all("rows => rows.map(r => r.dataset.attribute)")
    assert set(rows) == set(expected["requirements"])
    assert table.locator(".verdict").count() == 2 * len(rows)
    page.locator(".card").nth(2).get_by_text("Compare").click()
    expect(table.locator("thead th")).to_have_count(3)
    # Three at most: the fourth box is off until one is unticked.
    expect(page.locator(".card").nth(3).locator(".compare-toggle input")).to_be_disabled()
    page.locator(".card").nth(2).get_by_text("Compare").click()
    expect(page.locator(".card").nth(3).locator(".compare-toggle input")).to_be_enabled()
    expect(table.locator("thead th")).to_have_count(2)
    page.locator("#compare").scroll_into_view_if_needed()
    screenshot(page, "kiosk-compare")


def test_a_try_on_is_recorded_and_the_shortlist_re_ranked_with_what_changed(page, live_server, screenshot):
    answer_all(page, live_server, FLAT_OVERPRONATING)
    before = card_ids(page)
    page.locator(".card").first.get_by_role("button", name="I tried it on").click()
    dialog = page.locator("#tryon")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Save and update my shortlist").click()
    expect(page.locator("#tryon-error")).to_have_text("Please choose how comfortable it was.")  # comfort is needed
    choose(page, "comfort", "2 · Uncomfortable")
    choose(page, "fit_notes", "Too tight")
    choose(page, "decision", "Returned")
    screenshot(page, "kiosk-tryon-form")
    dialog.get_by_role("button", name="Save and update my shortlist").click()
    expect(page.locator(".changes")).to_be_visible()

    after = card_ids(page)
    assert before[0] not in after  # returned: off the list, with its line
    assert page.locator(".move-new").count() >= 1
    fitting_id = page.locator("#print-meta").inner_text().rsplit(": ", 1)[1]
    stored = api(live_server, "GET", f"/v1/fittings/{fitting_id}/tryons")["items"]
    assert [(t["shoe_id"], t["comfort"], t["fit_notes"], t["decision"]) for t in stored] == [
        (before[0], 2, ["too_tight"], "returned")
    ]
    picks = api(live_server, "GET", f"/v1/fittings/{fitting_id}/recommendations")
    assert after == [shoe["id"] for shoe in picks["recommendations"]]
    changes = page.locator(".changes li").all_inner_texts()
    assert [s["text"] for s in picks["feedback"]["set_aside"]][0] in changes
    screenshot(page, "kiosk-tryon")

    # A second try-on goes to the same fitting.
    page.locator(".card").first.get_by_role("button", name="I tried it on").click()
    choose(page, "comfort", "5 · Could not feel better")
    choose(page, "decision", "Kept")
    dialog.get_by_role("button", name="Save and update my shortlist").click()
    expect(page.locator(".card").first.locator(".tried")).to_have_text("Tried: comfort 5 of 5, Kept")
    assert len(api(live_server, "GET", f"/v1/fittings/{fitting_id}/tryons")["items"]) == 2


def test_changing_answers_after_a_try_on_updates_the_same_fitting(page, live_server):
    answer_all(page, live_server, FLAT_OVERPRONATING)
    page.locator(".card").first.get_by_role("button", name="I tried it on").click()
    choose(page, "comfort", "4 · Comfortable")
    page.locator("#tryon").get_by_role("button", name="Save and update my shortlist").click()
    expect(page.locator(".changes")).to_be_visible()
    fitting_id = page.locator("#print-meta").inner_text().rsplit(": ", 1)[1]
    page.get_by_role("button", name="Change my answers").click()
    choose(page, "arch_type", "High arch")
    for _ in range(5):
        next_step(page)
    page.locator(".card").first.wait_for()
    fitting = api(live_server, "GET", f"/v1/fittings/{fitting_id}")
    assert fitting["profile"]["arch_type"] == "high" and fitting["version"] == 2
    assert len(api(live_server, "GET", f"/v1/fittings/{fitting_id}/tryons")["items"]) == 1


def test_no_match_says_which_filter_to_relax(page, live_server):
    answer_all(page, live_server, {"width": "Narrow", "max_price": "Up to $100"})
    expected = api(live_server, "POST", "/v1/recommendations", {"width": "narrow", "max_price": 100})
    assert expected["recommendations"] == []
    expect(page.locator(".no-match h2")).to_have_text("No shoe here matches everything you asked for.")
    expect(page.locator(".no-match p")).to_have_text(expected["no_match"]["text"])
    expect(page.locator(".compare-hint")).to_have_count(0)
    page.get_by_role("button", name="Change my answers").click()
    expect(page.locator("#step-title")).to_have_text("Your feet")


def test_the_print_view_is_the_shortlist_without_the_controls(page, live_server, screenshot):
    answer_all(page, live_server, FLAT_OVERPRONATING)
    page.emulate_media(media="print")
    expect(page.locator(".print-title")).to_be_visible()
    expect(page.locator(".card").first).to_be_visible()
    expect(page.locator(".card .why").first).to_be_visible()
    for hidden in (".bar", ".results-nav", ".card-actions", ".compare-hint"):
        expect(page.locator(hidden).first).to_be_hidden()
    screenshot(page, "kiosk-print", full_page=True)
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")


def test_start_over_leaves_nothing_of_the_last_customer(page, live_server):
    answer_all(page, live_server, FLAT_OVERPRONATING)
    names = page.locator(".card .model").all_inner_texts()
    page.locator(".card").nth(0).get_by_text("Compare").click()
    page.locator(".card").nth(1).get_by_text("Compare").click()
    page.locator("#restart").click()
    expect(page.locator("#welcome")).to_be_visible()
    text = body_text(page)
    assert not any(name in text for name in names)
    assert page.locator(".card, .compare-table, .warning, input:checked").count() == 0
    start(page, live_server)
    assert page.locator("input:checked").count() == 0


@pytest.mark.parametrize(
    "viewport", [{"width": 1080, "height": 1920}, {"width": 820, "height": 1180}, {"width": 1280, "height": 800}]
)
def test_every_screen_fits_and_every_target_is_touch_sized(browser, live_server, viewport, screenshot):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        start(page, live_server)
        for _ in range(5):
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            heights = page.locator("#questions .option, #questions button").evaluate_all(
                "nodes => nodes.filter(n => n.offsetParent).map(n => n.getBoundingClientRect().height)"
            )
            assert min(heights) >= 48
            next_step(page)
        page.locator(".card").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        heights = page.locator("#results button, #results .compare-toggle").evaluate_all(
            "nodes => nodes.filter(n => n.offsetParent).map(n => n.getBoundingClientRect().height)"
        )
        assert min(heights) >= 48
        screenshot(page, f"kiosk-shortlist-{viewport['width']}x{viewport['height']}")
    finally:
        context.close()

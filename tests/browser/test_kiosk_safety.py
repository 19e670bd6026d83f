"""Red flags take the screen, a walk-away clears it, and a failing API never freezes it."""

import json

import pytest
from conftest import serve
from kiosk_steps import answer_all, api, body_text, card_ids, choose, start
from playwright.sync_api import expect

URGENT = {"symptoms": ["Can't bear weight", "Swelling"], "pain_days": "For a few days", "pain_severity": "8"}
NEUTRAL = {"arch_type": "Neutral arch", "pronation": "Neutral"}


def test_an_urgent_flag_takes_the_whole_screen_with_what_to_do(page, live_server, screenshot):
    answer_all(page, live_server, URGENT)
    expected = api(
        live_server,
        "POST",
        "/v1/recommendations",
        {"symptoms": ["cannot_bear_weight", "swelling"], "pain": {"days": 3, "severity": 8}},
    )
    assert expected["triage"]["state"] == "see_doctor_first"
    urgent = page.locator("#urgent")
    expect(urgent).to_be_visible()
    box, viewport = urgent.bounding_box(), page.viewport_size
    assert (box["width"], box["height"]) == (viewport["width"], viewport["height"])
    expect(urgent.locator("#urgent-message")).to_have_text(expected["triage"]["message"])
    flagged = [w["message"] for w in expected["warnings"] if w["level"] == "urgent"]
    assert urgent.locator("#urgent-warnings li").all_inner_texts() == flagged
    assert urgent.locator("#urgent-advice li").all_inner_texts() == [a["text"] for a in expected["advice"]]
    expect(page.locator("#urgent-restart")).to_be_focused()
    screenshot(page, "kiosk-urgent")

    page.get_by_role("button", name="I understand: show shoes for later").click()
    expect(urgent).to_be_hidden()
    # Behind it, every warning still leads, and each pick says it is for later.
    assert page.locator(".warning").count() == len(expected["warnings"])
    expect(page.locator(".triage")).to_contain_text(expected["triage"]["message"])
    assert page.locator(".card .later").count() == len(expected["recommendations"])


def test_a_see_doctor_flag_leads_the_shortlist_without_hiding_it(page, live_server):
    answer_all(page, live_server, {"symptoms": ["Heel pain on first steps"]})
    expect(page.locator("#urgent")).to_be_hidden()
    first = page.locator(".warning").first
    expect(first.locator(".level")).to_have_text("See a doctor")
    assert page.locator(".warning").first.bounding_box()["y"] < page.locator(".card").first.bounding_box()["y"]


@pytest.fixture(scope="module")
def quick_idle_server(tmp_path_factory):
    server = serve(tmp_path_factory.mktemp("idle"), KIOSK_IDLE_SECONDS=2)
    yield server
    server.stop()


def test_walking_away_asks_then_clears_everything(page, quick_idle_server, screenshot):
    answer_all(page, quick_idle_server, NEUTRAL)
    names = page.locator(".card .model").all_inner_texts()
    idle = page.locator("#idle")
    expect(idle).to_be_visible(timeout=10000)
    page.get_by_role("button", name="I'm still here").click()
    expect(idle).to_be_hidden()
    assert page.locator(".card").count() == len(names)

    expect(idle).to_be_visible(timeout=10000)
    screenshot(page, "kiosk-idle")
    expect(page.locator("#welcome")).to_be_visible(timeout=10000)
    text = body_text(page)
    assert not any(name in text for name in names)
    assert page.locator(".card, input:checked").count() == 0


def problem(status, detail, retry_after=None):
    headers = {"Content-Type": "application/problem+json"}
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return {
        "status": status,
        "headers": headers,
        "body": json.dumps({"status": status, "title": "x", "detail": detail}),
    }


def fail_once(page, pattern, action):
    failed = []

    def handle(route):
        if failed:
            return route.fallback()
        failed.append(route.request.url)
        action(route)

    page.route(pattern, handle)
    return failed


def test_too_many_requests_waits_as_asked_and_retries_by_itself(page, live_server):
    failed = fail_once(page, "**/v1/recommendations", lambda r: r.fulfill(**problem(429, "slow down", 2)))
    answer_all(page, live_server, NEUTRAL, wait=False)
    expect(page.locator("#problem")).to_be_visible()
    expect(page.locator("#problem-text")).to_have_text("Lots of people are asking right now.")
    expect(page.locator("#problem-countdown")).to_contain_text("Trying again in")
    page.locator(".card").first.wait_for(timeout=5000)
    expect(page.locator("#problem")).to_be_hidden()
    assert len(failed) == 1


def test_a_service_that_stays_down_is_retried_a_few_times_then_left_to_the_button(page, live_server):
    asked = []
    page.route("**/v1/recommendations", lambda r: (asked.append(1), r.fulfill(**problem(503, "down", 1))))
    answer_all(page, live_server, NEUTRAL, wait=False)
    expect(page.locator("#problem-text")).to_have_text("The shoe service is busy or restarting.")
    page.wait_for_timeout(5000)
    assert len(asked) == 4  # the first try and three by themselves
    expect(page.locator("#problem-countdown")).to_have_text("")
    page.unroute("**/v1/recommendations")
    page.get_by_role("button", name="Try again").click()
    assert len(card_ids(page)) == 5


def test_no_answer_at_all_offers_a_retry(page, live_server):
    fail_once(page, "**/v1/recommendations", lambda r: r.abort("connectionrefused"))
    answer_all(page, live_server, NEUTRAL, wait=False)
    expect(page.locator("#problem-text")).to_have_text("The kiosk cannot reach the shoe service.")
    page.get_by_role("button", name="Try again").click()
    assert len(card_ids(page)) == 5


def test_a_refused_answer_names_it_and_leads_back_to_the_questions(page, live_server):
    detail = "max_price: must be between 0 and 10000"
    fail_once(page, "**/v1/recommendations", lambda r: r.fulfill(**problem(422, detail)))
    answer_all(page, live_server, NEUTRAL, wait=False)
    expect(page.locator("#problem-text")).to_have_text(f"One of the answers could not be used: {detail}")
    expect(page.get_by_role("button", name="Try again")).to_be_hidden()
    page.locator("#problem-edit").click()
    expect(page.locator("#step-title")).to_have_text("Your feet")
    assert option_checked(page, "arch_type", "neutral")


def option_checked(page, question, value):
    return page.locator(f'fieldset[data-question="{question}"] input[value="{value}"]').is_checked()


def test_a_database_that_does_not_answer_is_a_503_the_screen_explains(page, tmp_path, screenshot):
    # A closed port: recommendations need no database and work; opening the fitting for a try-on gets a real 503.
    server = serve(tmp_path, DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/test", AUTO_MIGRATE=False)
    try:
        answer_all(page, server, NEUTRAL)
        page.locator(".card").first.get_by_role("button", name="I tried it on").click()
        choose(page, "comfort", "3 · It's OK")
        page.locator("#tryon").get_by_role("button", name="Save and update my shortlist").click()
        expect(page.locator("#problem-text")).to_have_text("The shoe service is busy or restarting.")
        expect(page.locator("#problem-countdown")).to_contain_text("Trying again in")
        screenshot(page, "kiosk-problem")
        page.locator("#problem-restart").click()
        expect(page.locator("#welcome")).to_be_visible()
        expect(page.locator("#problem")).to_be_hidden()
        start(page, server)  # and the next customer starts clean
    finally:
        server.stop()

"""What a customer does at the kiosk, as Playwright steps: shared by the browser tests."""

import json
import re
import urllib.request

from playwright.sync_api import expect


def api(server, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{server.url}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def option(page, question, label):
    exact = re.compile(f"^{re.escape(label)}$")
    field = page.locator(f'fieldset[data-question="{question}"]')
    return field.locator(".option").filter(has=page.locator(".option-label", has_text=exact))


def choose(page, question, label):
    option(page, question, label).click()


def start(page, server):
    page.goto(f"{server.url}/")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.locator("#step-title")).to_have_text("Your feet")


def next_step(page):
    page.locator("#next").click()


def answer_all(page, server, answers, wait=True):
    """Go through every step, choosing `answers` ({question: label or [labels]}), and show the shortlist."""
    start(page, server)
    for _ in range(5):
        for question in page.locator("#step-form fieldset").evaluate_all("fs => fs.map(f => f.dataset.question)"):
            chosen = answers.get(question, [])
            for label in [chosen] if isinstance(chosen, str) else chosen:
                choose(page, question, label)
        next_step(page)
    if wait:
        expect(page.locator("#results")).to_be_visible()


def card_ids(page):
    page.locator(".card").first.wait_for()
    return page.locator(".card").evaluate_all("cards => cards.map(c => c.dataset.shoeId)")


def body_text(page):
    return page.locator("body").inner_text()

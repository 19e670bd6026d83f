"""Keyboard alone, readable contrast, and a store's own texts on screen."""

import json

from conftest import serve
from kiosk_steps import answer_all, start
from playwright.sync_api import expect


def tab_to(page, selector, limit=60):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_whole_session_works_with_the_keyboard_alone(page, live_server):
    page.goto(f"{live_server.url}/kiosk")
    expect(page.locator("#start")).to_be_enabled()
    tab_to(page, "#start")
    page.keyboard.press("Enter")
    expect(page.locator("#step-title")).to_be_focused()
    tab_to(page, 'input[name="arch_type"]')
    page.keyboard.press("Space")
    assert page.locator('input[name="arch_type"][value="flat"]').is_checked()
    tab_to(page, 'input[name="pronation"]')
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert page.locator('input[name="pronation"][value="neutral"]').is_checked()
    for _ in range(5):
        tab_to(page, "#next")
        page.keyboard.press("Enter")
    page.locator(".card").first.wait_for()

    tab_to(page, ".card .compare-toggle input")
    page.keyboard.press("Space")
    expect(page.locator(".card").first.locator(".compare-toggle input")).to_be_checked()
    expect(page.locator(".card").first.locator(".compare-toggle input")).to_be_focused()  # kept across the re-render
    tab_to(page, ".tryon-button")
    page.keyboard.press("Enter")
    expect(page.locator("#tryon")).to_be_visible()
    tab_to(page, 'input[name="comfort"]')
    page.keyboard.press("Space")
    tab_to(page, "#tryon-save")
    page.keyboard.press("Enter")
    expect(page.locator(".changes")).to_be_visible()


CONTRAST = """
(selectors) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (node) => {
    for (; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length < 4 || c[3] > 0.9) return c;
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const selector of selectors) {
    for (const node of document.querySelectorAll(selector)) {
      if (!node.offsetParent && getComputedStyle(node).position !== "fixed") continue;
      const a = lum(rgb(getComputedStyle(node).color)), b = lum(background(node));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) low.push(`${selector}: ${ratio.toFixed(2)} "${node.textContent.slice(0, 30)}"`);
    }
  }
  return low;
}
"""
TEXTS = [
    "h1",
    "h2",
    "button",
    ".lead",
    ".note",
    ".option-label",
    ".option-hint",
    ".why li",
    ".price",
    ".score-value",
    ".score-word",
    ".badge",
    ".level",
    ".message",
    ".wanted",
    ".verdict",
    ".also",
    ".tried",
    ".triage p",
    ".brand",
    ".progress",
    "legend",
    ".compare-toggle span",
]


def test_every_text_is_readable_against_its_background(page, live_server):
    start(page, live_server)
    assert page.evaluate(CONTRAST, TEXTS) == []
    page.locator("#next").click()
    answer = {"symptoms": ["Heel pain on first steps"], "fit_issues": ["Too tight"]}
    answer_all(page, live_server, answer)
    page.locator(".card").nth(0).get_by_text("Compare").click()
    page.locator(".card").nth(1).get_by_text("Compare").click()
    assert page.evaluate(CONTRAST, TEXTS) == []
    answer_all(page, live_server, {"symptoms": ["Can't bear weight"]})
    expect(page.locator("#urgent")).to_be_visible()
    assert page.evaluate(CONTRAST, ["#urgent h1", "#urgent h2", "#urgent li", "#urgent p", "#urgent button"]) == []


def test_a_stores_texts_replace_the_bundled_ones(page, tmp_path):
    texts = tmp_path / "texts.fr.json"
    texts.write_text(
        json.dumps(
            {
                "app.lang": "fr",
                "welcome.title": "Trouvez la chaussure qui vous va",
                "welcome.start": "Commencer",
                "vocabulary.arch_type.flat.label": "Pied plat",
            }
        ),
        encoding="utf-8",
    )
    server = serve(tmp_path, KIOSK_TEXTS=str(texts))
    try:
        page.goto(f"{server.url}/kiosk")
        expect(page.locator("#welcome-title")).to_have_text("Trouvez la chaussure qui vous va")
        assert page.evaluate("document.documentElement.lang") == "fr"
        page.get_by_role("button", name="Commencer").click()
        labels = page.locator('fieldset[data-question="arch_type"] .option-label').all_inner_texts()
        assert labels[0] == "Pied plat"
        expect(page.locator("#next")).to_have_text("Next")  # untranslated keys keep the bundled English
    finally:
        server.stop()

"""The API docs page renders every operation of /openapi.json in a real browser, with nothing from the network."""

import json
import urllib.request


def operations(spec):
    methods = {"get", "post", "put", "patch", "delete"}
    return {(method.upper(), path) for path, item in spec["paths"].items() for method in item if method in methods}


def test_docs_render_every_operation_offline(page, live_server, screenshot):
    with urllib.request.urlopen(f"{live_server.url}/openapi.json") as answer:
        spec = json.load(answer)
    assert spec["openapi"].startswith("3.1")
    outside = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url))

    page.goto(f"{live_server.url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)

    assert page.locator(".errors-wrapper").count() == 0, page.locator(".errors-wrapper").inner_text()
    shown = set()
    for block in page.locator(".opblock").all():
        method = block.locator(".opblock-summary-method").inner_text().strip()
        path = block.locator(".opblock-summary-path").get_attribute("data-path")
        shown.add((method, path))
    assert shown == operations(spec)
    assert page.locator(".info .title").inner_text().startswith("shoefit")
    assert outside == []
    screenshot(page, "docs", full_page=False)

"""The admin UI in a real headless chromium: sign-in, overview vs /spend/report, key lifecycle with the
openai SDK, a viewer's read-only view, and CSRF refusals."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import openai
import pytest
from playwright.sync_api import expect

from tests.conftest import MASTER_KEY
from tests.integration.ui.conftest import Gw, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seeded(gw: Gw) -> dict[str, Any]:
    """Two teams, three keys, requests on two models through the real gateway, spend settled."""
    gw.admin("POST", "/team/new", {"team_id": "research", "team_alias": "Research", "max_budget": 50,
                                   "soft_budget": 20})
    gw.admin("POST", "/team/new", {"team_id": "support", "team_alias": "Support"})
    keys = [gw.admin("POST", "/key/generate", {"key_alias": alias, "team_id": team})["key"]
            for alias, team in (("r-batch", "research"), ("r-chat", "research"), ("s-bot", "support"))]
    sent = 0
    for index, key in enumerate(keys):
        client = openai.OpenAI(base_url=f"{gw.url}/v1", api_key=key, max_retries=0)
        for model in ("gpt-4o-mini", "claude-haiku")[: 1 + index % 2]:
            for _ in range(index + 1):
                client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi " * 20}])
                sent += 1
    deadline = time.monotonic() + 20
    report = None
    while time.monotonic() < deadline:
        report = gw.admin("GET", "/spend/report", group_by="day")
        if report["total"]["requests"] >= sent:
            break
        time.sleep(0.2)
    assert report is not None and report["total"]["requests"] == sent
    assert report["total"]["spend"] > 0
    return {"requests": sent}


def _range(days: int) -> dict[str, str]:
    end = datetime.now(UTC).date()
    return {"start_date": (end - timedelta(days=days - 1)).isoformat(), "end_date": end.isoformat()}


def test_overview_numbers_equal_the_spend_report(gw: Gw, seeded: dict[str, Any], page: Any) -> None:
    sign_in(page, gw.url, MASTER_KEY)
    page.get_by_test_id("spend-period").wait_for()
    by_day = gw.admin("GET", "/spend/report", group_by="day", **_range(30))
    by_team = gw.admin("GET", "/spend/report", group_by="team", **_range(30))
    by_model = gw.admin("GET", "/spend/report", group_by="model", **_range(30))
    shown = float(page.get_by_test_id("spend-period").get_attribute("data-value"))
    assert shown == pytest.approx(by_day["total"]["spend"])
    assert float(page.get_by_test_id("spend-today").get_attribute("data-value")) == pytest.approx(
        by_day["total"]["spend"])  # all seeded today
    assert int(page.get_by_test_id("requests").get_attribute("data-value")) == seeded["requests"]
    for testid, report, group in (("by-team-table", by_team, "team"), ("by-model-table", by_model, "model")):
        rows = page.get_by_test_id(testid).locator("tbody tr")
        assert rows.count() == len(report["rows"])
        for i, row in enumerate(report["rows"]):
            assert rows.nth(i).locator("td[data-col]").first.inner_text() == row[group]
            assert rows.nth(i).locator("td[data-col=requests]").inner_text() == str(row["requests"])
    bars = page.locator(".chart-bar[data-value]")
    assert bars.count() >= 30 + len(by_team["rows"]) + len(by_model["rows"])  # 30 day columns, then the groups
    assert page.get_by_test_id("top-keys").locator("tbody tr").count() == 3  # the three seeded keys
    assert "r-batch" in page.get_by_test_id("top-keys").inner_text()


def test_create_a_key_use_it_with_the_sdk_then_block_it(gw: Gw, page: Any) -> None:
    sign_in(page, gw.url, MASTER_KEY)
    page.goto(f"{gw.url}/ui/#/keys")
    page.get_by_test_id("create-key").click()
    dialog = page.get_by_test_id("dialog")
    dialog.locator("input[name=key_alias]").fill("from-the-ui")
    dialog.locator("input[name=models]").fill("gpt-4o-mini")
    dialog.locator("input[name=max_budget]").fill("5")
    dialog.locator("input[name=rpm_limit]").fill("60")
    dialog.locator("textarea[name=metadata]").fill('{"owner": "ui-test"}')
    dialog.get_by_test_id("create-key-submit").click()
    raw = page.get_by_test_id("new-key").inner_text().strip()
    assert raw.startswith("sk-")
    page.get_by_role("button", name="Done").click()

    client = openai.OpenAI(base_url=f"{gw.url}/v1", api_key=raw, max_retries=0)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    assert reply.choices[0].message.content
    with pytest.raises(openai.PermissionDeniedError):  # the key's model allowlist came from the form
        client.chat.completions.create(model="claude-haiku", messages=[{"role": "user", "content": "hello"}])
    info = gw.admin("GET", "/key/list", key_alias="from-the-ui", return_full_object="true")["keys"][0]
    assert (info["max_budget"], info["rpm_limit"], info["metadata"]) == (5, 60, {"owner": "ui-test"})

    page.get_by_test_id("key-search").fill("from-the")
    page.get_by_test_id("key-search").press("Enter")
    expect(page.get_by_test_id("keys-table").locator("tbody tr")).to_have_count(1)
    page.get_by_test_id("block").click()
    page.get_by_test_id("unblock").wait_for()
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])

    page.get_by_test_id("delete").click()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("keys-table")).to_have_count(0)
    assert gw.admin("GET", "/key/list", key_alias="from-the-ui")["total_count"] == 0


def test_a_viewer_cannot_press_a_mutating_button_and_the_server_refuses_if_forced(gw: Gw, page: Any) -> None:
    gw.admin("POST", "/user/new", {"user_id": "vera", "user_role": "proxy_admin_viewer"})
    viewer_key = gw.admin("POST", "/key/generate", {"user_id": "vera", "key_alias": "vera-ui"})["key"]
    sign_in(page, gw.url, viewer_key)
    assert page.get_by_test_id("role").inner_text() == "proxy_admin_viewer"
    page.goto(f"{gw.url}/ui/#/keys")
    page.get_by_test_id("keys-table").wait_for()
    assert page.get_by_test_id("create-key").is_disabled()
    assert all(button.is_disabled() for button in page.get_by_test_id("delete").all())
    forced = page.evaluate("""async () => {
        const me = await (await fetch('api/session')).json();
        const r = await fetch('api/admin/key/generate', {method: 'POST', headers: {'content-type': 'application/json',
            'x-csrf-token': me.csrf}, body: JSON.stringify({key_alias: 'sneaky'})});
        return {status: r.status, body: await r.json()};
    }""")
    assert forced["status"] == 403
    assert forced["body"]["error"]["type"] == "permission_error"
    assert gw.admin("GET", "/key/list", key_alias="sneaky")["total_count"] == 0


def test_a_state_change_without_the_csrf_token_is_refused(gw: Gw, page: Any) -> None:
    target = gw.admin("POST", "/key/generate", {"key_alias": "csrf-target"})
    sign_in(page, gw.url, MASTER_KEY)
    result = page.evaluate("""async (token) => {
        const post = (headers) => fetch('api/admin/key/block', {method: 'POST',
            headers: {'content-type': 'application/json', ...headers}, body: JSON.stringify({key: token})});
        const without = await post({});
        const wrong = await post({'x-csrf-token': 'guess'});
        const me = await (await fetch('api/session')).json();
        const right = await post({'x-csrf-token': me.csrf});
        return [without.status, (await without.json()).error.code, wrong.status, right.status];
    }""", target["token"])
    assert result == [403, "csrf_failed", 403, 200]
    assert gw.admin("GET", "/key/info", key=target["token"])["info"]["blocked"] is True


def test_every_page_renders_without_errors(gw: Gw, seeded: dict[str, Any], page: Any) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, gw.url, MASTER_KEY)
    for route, marker in (("teams", "text=Research"), ("teams?id=research", "text=Members"),
                          ("users", "text=Users"), ("logs", "[data-testid=logs-table]"),
                          ("models", "text=gpt-4o-mini"), ("audit", "text=key.generate")):
        page.goto(f"{gw.url}/ui/#/{route}")
        page.locator(marker).first.wait_for()
        assert page.get_by_test_id("error").count() == 0, (route, page.get_by_test_id("error").all_inner_texts())
    page.goto(f"{gw.url}/ui/#/logs")
    page.get_by_test_id("logs-table").locator("tbody tr").first.click()
    assert '"request_id"' in page.get_by_test_id("log-detail").inner_text()
    page.get_by_role("button", name="Close").click()
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()  # noqa: SIM115
    logged = gw.admin("GET", "/spend/logs", limit=1000, **_range(7))["data"]
    assert lines[0].startswith("request_id,started_at") and len(lines) == 1 + len(logged) >= 1 + seeded["requests"]
    page.get_by_test_id("filter-key_digest").fill("r-chat")  # an alias: the page looks its digest up
    page.get_by_test_id("filter-key_digest").press("Enter")
    expect(page.get_by_test_id("logs-table").locator("tbody tr")).to_have_count(4)  # r-chat: 2 models x 2
    assert errors == []


def test_keys_pages_follow_the_cursor(gw: Gw, page: Any) -> None:
    for i in range(30):
        gw.admin("POST", "/key/generate", {"key_alias": f"pager-{i:02d}"})
    sign_in(page, gw.url, MASTER_KEY)
    page.goto(f"{gw.url}/ui/#/keys?search=pager-")
    rows = page.get_by_test_id("keys-table").locator("tbody tr")
    expect(rows).to_have_count(25)
    expect(page.get_by_test_id("key-pages")).to_contain_text("Page 1 of 2 · 30 keys")
    first = page.get_by_test_id("key-alias").all_inner_texts()
    page.get_by_test_id("next-page").click()
    expect(rows).to_have_count(5)
    expect(page.get_by_test_id("key-pages")).to_contain_text("Page 2 · last page")  # from a cursor: no total
    assert "cursor=" in page.url and page.get_by_test_id("next-page").is_disabled()
    second = page.get_by_test_id("key-alias").all_inner_texts()
    assert sorted(first + second) == [f"pager-{i:02d}" for i in range(30)]  # each key once, none skipped
    page.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(25)

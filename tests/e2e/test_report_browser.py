"""report.html opened in headless Chromium: it renders its sections and fetches nothing."""

import os
import shutil

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")  # playwright's sync API holds an event loop open until it exits
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
            pytest.fail("GRADER_REQUIRE_BROWSER=1 but Debian's chromium is not installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run",
            "--disable-component-update", "--disable-sync"])
        yield instance
        instance.close()


@pytest.mark.parametrize("variant", ["starter", "units-only"])
def test_report_renders_offline(browser, skew_calibration, variant, tmp_path):
    report = skew_calibration[variant].report_dir / "report.html"
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 20_000
    assert requests == [report.as_uri()], requests  # nothing but the file itself
    for section in ("#summary", "#bugs", "#service", "#questions", "#write-up", "#history", "#sandbox"):
        assert page.locator(section).is_visible(), section
    assert page.locator("article.bug").count() == 3
    assert page.locator("svg").count() >= 3
    assert "Ask in the paired round" in page.inner_text("#bugs")
    verdicts = page.locator("#summary .v").all_inner_texts()
    assert verdicts[0] == ("fail" if variant == "starter" else "partial")
    page.emulate_media(media="print")
    assert page.locator("#bugs").is_visible()
    page.close()

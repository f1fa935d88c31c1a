"""The console in a real browser: Debian's headless Chromium driven by Selenium through
Debian's chromedriver. Each role signs in and sees what it may; a wrong password fails and
repeated ones lock the account; an audit report drills down to a decision and its
explanation; the page switches to Chinese; a policy replay shows what would change; the
pages work from the keyboard, label every field, and fit a tablet. Screenshots of each page
are saved (build/console-screenshots/, or GOVGATE_SCREENSHOTS_DIR) to be looked at."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from gateway.store.db import make_engine
from tests.audits.synthetic import SINCE
from tests.conftest import IN_CI
from tests.console.site import PASSWORD, Site, console_site, create_user, proposed_policy, send_known_pii, zipped

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = Path(os.environ.get("GOVGATE_SCREENSHOTS_DIR", Path(__file__).parents[2] / "build" / "console-screenshots"))
LAPTOP, TABLET = (1366, 900), (820, 1180)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, pii_engine, upstream: str) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    with console_site("sqlite", Path(tmp_path_factory.mktemp("console-browser")), pii_engine=pii_engine,
                      upstream=upstream) as made:
        made.proxied = send_known_pii(made.gateway)  # type: ignore[attr-defined]
        yield made


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        message = "Debian's chromium and chromium-driver are needed (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={LAPTOP[0]},{LAPTOP[1]}", "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def navigate(driver: WebDriver, element: WebElement) -> None:
    """Click (or submit) and wait for the next page: a click returns before the page changes."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 60).until(expected_conditions.staleness_of(page))


def shot(driver: WebDriver, name: str) -> None:
    assert driver.save_screenshot(str(SHOTS / f"{name}.png"))


def sign_in(driver: WebDriver, site: Site, username: str, password: str = PASSWORD) -> None:
    driver.delete_all_cookies()
    driver.get(site.url + "/console/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    navigate(driver, driver.find_element(By.ID, "sign-in"))


def nav_labels(driver: WebDriver) -> list[str]:
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "header nav a")]


def test_a_wrong_password_fails_and_repeated_failures_lock_the_account(site: Site, browser: WebDriver) -> None:
    engine = make_engine(site.database_url)
    create_user(engine, "locked-out", "admin")
    engine.dispose()
    sign_in(browser, site, "locked-out", "wrong password")
    assert browser.find_element(By.ID, "login-error").is_displayed()
    shot(browser, "login-failed")
    for _ in range(4):
        sign_in(browser, site, "locked-out", "wrong password")
    sign_in(browser, site, "locked-out")  # the right password, too late
    assert browser.find_element(By.ID, "login-error").is_displayed()
    assert "/console/login" in browser.current_url


def test_each_role_sees_its_pages_and_is_refused_the_others(site: Site, browser: WebDriver) -> None:
    expected = {"officer": ["Overview", "Decisions", "Audits"],
                "security": ["Overview", "Decisions", "Policies", "Console activity"],
                "root": ["Overview", "Decisions", "Audits", "Policies", "Console activity"]}
    refused = {"officer": ["/console/policies", "/console/activity"], "security": ["/console/audits"], "root": []}
    for username, labels in expected.items():
        sign_in(browser, site, username)
        assert browser.find_element(By.TAG_NAME, "h1").text == "Overview"
        assert nav_labels(browser) == labels
        for path in refused[username]:
            browser.get(site.url + path)
            assert "Your role may not open this page." in browser.find_element(By.ID, "error-message").text
        browser.get(site.url + "/console/api/overview")
        assert '"requests"' in browser.page_source
    sign_in(browser, site, "root")
    shot(browser, "overview")
    browser.get(site.url + "/console/activity")
    assert "sign_in" in browser.find_element(By.ID, "events").text
    shot(browser, "activity")


def test_an_audit_report_drills_down_to_a_decision_and_its_explanation_in_both_languages(
        site: Site, browser: WebDriver) -> None:
    sign_in(browser, site, "officer")
    browser.get(site.url + "/console/audits")
    since = browser.find_element(By.ID, "audit-since")
    since.clear()
    since.send_keys(SINCE.isoformat())
    browser.find_element(By.ID, "audit-attributes").send_keys("gender")
    navigate(browser, browser.find_element(By.ID, "run-audit"))
    deadline = time.monotonic() + 240
    while browser.find_element(By.ID, "audit-status").text != "done":
        assert browser.find_element(By.ID, "audit-status").text in ("queued", "running")
        assert time.monotonic() < deadline
        time.sleep(0.5)
        browser.refresh()
    assert browser.find_element(By.ID, "findings").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "#report .gg-report") or "gg-report" in browser.page_source
    shot(browser, "audit")
    confirmed = browser.find_element(By.CSS_SELECTOR, "#findings tr.status-confirmed a.drill-down")
    navigate(browser, confirmed)
    rows = browser.find_elements(By.CSS_SELECTOR, "#decisions-table tbody tr")
    assert rows
    shot(browser, "decisions")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "#decisions-table a.decision-link"))
    assert browser.find_element(By.ID, "explanation-text").text.strip()
    assert browser.find_element(By.TAG_NAME, "h2").text == "Explanation"
    # Back to a proxied decision with PII findings, for the picture.
    browser.get(site.url + f"/console/decisions/{site.proxied[0]}")  # type: ignore[attr-defined]
    assert "EMAIL_ADDRESS" in browser.find_element(By.ID, "findings-table").text
    shot(browser, "decision")
    browser.find_element(By.CSS_SELECTOR, "#lang-switch option[value='zh']").click()
    navigate(browser, browser.find_element(By.ID, "lang-submit"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hans"
    assert browser.find_element(By.TAG_NAME, "h2").text == "解释"
    assert "概览" in nav_labels(browser)
    shot(browser, "decision-zh")
    # Remembered for the user: a new sign-in opens in Chinese.
    sign_in(browser, site, "officer")
    assert browser.find_element(By.TAG_NAME, "h1").text == "概览"
    browser.find_element(By.CSS_SELECTOR, "#lang-switch option[value='en']").click()
    navigate(browser, browser.find_element(By.ID, "lang-submit"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Overview"


def test_a_policy_replay_shows_what_would_change(site: Site, browser: WebDriver, tmp_path: Path) -> None:
    archive = tmp_path / "candidate.zip"
    archive.write_bytes(zipped(proposed_policy(tmp_path)))
    sign_in(browser, site, "security")
    browser.get(site.url + "/console/policies")
    assert "passed" in browser.find_element(By.ID, "tests-summary").text
    browser.find_element(By.ID, "bundle").send_keys(str(archive))
    navigate(browser, browser.find_element(By.ID, "replay-run"))
    result = browser.find_element(By.ID, "replay-result")
    counts = browser.find_element(By.ID, "change-allow_to_deny").find_elements(By.TAG_NAME, "td")
    assert int(counts[0].text) >= 2 and result.is_displayed()
    browser.execute_script("document.getElementById('replay').scrollIntoView()")
    shot(browser, "policies")


def test_pages_work_from_the_keyboard_label_every_field_and_fit_a_tablet(site: Site, browser: WebDriver) -> None:
    sign_in(browser, site, "root")
    for path in ("/console/", "/console/decisions", "/console/audits", "/console/policies", "/console/activity"):
        browser.get(site.url + path)
        unlabelled = browser.execute_script(
            "return [...document.querySelectorAll('input:not([type=hidden]), select')]"
            ".filter(e => !(e.id && document.querySelector(`label[for='${e.id}']`))).map(e => e.name)")
        assert unlabelled == [], (path, unlabelled)
    browser.get(site.url + "/console/decisions")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("class") == "skip"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    # Filters by keyboard alone: type a caller and press Enter.
    field = browser.find_element(By.ID, "f-caller")
    page = browser.find_element(By.TAG_NAME, "html")
    field.send_keys("support-bot", Keys.ENTER)
    WebDriverWait(browser, 60).until(expected_conditions.staleness_of(page))
    assert "caller=support-bot" in browser.current_url
    browser.set_window_size(*TABLET)
    try:
        for path in ("/console/", "/console/decisions", "/console/policies"):
            browser.get(site.url + path)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, (path, overflow)
        browser.get(site.url + "/console/")
        shot(browser, "overview-tablet")
    finally:
        browser.set_window_size(*LAPTOP)

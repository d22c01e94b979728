"""`decif view` in a real browser: Debian's chromium, headless, driven through its
chromedriver by Selenium (nothing downloaded). A run made against the fake
OpenAI-compatible server is served by a real `decif view` process on a free loopback
port; the test filters the list, opens a sample, records a review, finds it in the
judge's calibration figures, and opens a response full of HTML that must not run.

With DECIF_VIEW_SCREENSHOTS=DIR the main pages are saved there as PNG (the README's
pictures come from here)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from fake_server import scripted_reply, serving
from fakes import decif_process
from view_run import HOSTILE, make_view_run, view_script

from nodes.llm import make_llm

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)
WAIT_S = 30  # the longest a page may take to load on a busy machine


def browser_or_skip(profile: Path):
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium: pip install -e '.[test]'"
    )
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.skip("Debian's chromium and chromium-driver are not installed (CI installs them)")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager never looks for a driver online
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


@pytest.fixture
def viewer(tmp_path):
    """The URL of `decif view` serving a run made against the fake server."""
    with serving(scripted_reply(view_script())) as server:
        ids = make_view_run(tmp_path / "run", make_llm("openai", base_url=server.base_url))
    process = decif_process(
        "view", "--run", tmp_path / "run", "--port", "0",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()  # printed once the socket listens
        assert "http://127.0.0.1:" in line, line + process.stderr.read()
        yield line.split(" at ")[1].split()[0], ids
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=WAIT_S) == 0
        assert "decif view: stopped" in process.stdout.read()


def test_filter_open_review_calibrate_and_nothing_runs(viewer, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import Select, WebDriverWait

    url, ids = viewer
    shots = os.environ.get("DECIF_VIEW_SCREENSHOTS")
    browser = browser_or_skip(tmp_path / "profile")
    wait = WebDriverWait(browser, WAIT_S)

    def shot(name: str) -> None:
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(Path(shots) / f"view-{name}.png"))

    try:
        browser.get(url)
        count = (By.ID, "match-count")
        wait.until(ready.text_to_be_present_in_element(count, "7 of 7 samples"))
        Select(browser.find_element(By.NAME, "status")).select_by_value("accepted")
        browser.find_element(By.ID, "apply").click()
        wait.until(ready.text_to_be_present_in_element(count, "4 of 7 samples"))
        shot("samples")

        browser.find_element(By.LINK_TEXT, ids["first"]).click()
        wait.until(ready.presence_of_element_located((By.ID, "review-form")))
        browser.find_element(By.ID, "reviewer").send_keys("ann")
        browser.find_element(By.CSS_SELECTOR, "input[name=criteria-0][value=right]").click()
        browser.find_element(By.CSS_SELECTOR, "input[name=criteria-1][value=wrong]").click()
        browser.find_element(By.ID, "decision-drop").click()
        browser.find_element(By.NAME, "note").send_keys("the lines do not scan")
        shot("sample")
        browser.find_element(By.ID, "save-review").click()
        wait.until(ready.presence_of_element_located((By.ID, "saved")))
        assert "the lines do not scan" in browser.find_element(By.ID, "reviews").text

        browser.find_element(By.LINK_TEXT, "Reviews").click()
        calibration = wait.until(ready.presence_of_element_located((By.ID, "calibration")))
        rows = [r.text for r in calibration.find_elements(By.CSS_SELECTOR, "tbody tr")]
        # kind, verdicts, accuracy, precision and recall of YES, kappa ("-": undefined)
        assert rows == ["all 2 50% 50% 100% 0.00", "content 1 100% 100% 100% -",
                        "format 1 0% 0% - 0.00"]  # fmt: skip
        assert "drop: 1 of 1 decided (100%" in calibration.text
        shot("reviews")

        browser.get(f"{url}samples/{ids['html']}")
        response = wait.until(ready.presence_of_element_located((By.ID, "response")))
        assert response.text == HOSTILE  # shown as the text it is
        assert response.find_elements(By.XPATH, "./*") == []  # no element made of it
        assert browser.find_elements(By.ID, "evil") == []  # so no javascript: link to click
        assert browser.execute_script("return typeof window.pwned") == "undefined"

        browser.find_element(By.LINK_TEXT, "Run").click()
        wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "section.graph svg")))
        shot("run")
    finally:
        browser.quit()

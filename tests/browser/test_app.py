"""``immunomet app`` in a real headless Chromium (Selenium + the system chromedriver): checks beside
the fields as the user types, two tabs running studies at once without mixing, the downloaded YAML
equal to the page's and run by the CLI to the same numbers, the runs page and a report, one mouse
past the humane end point. Tiny studies (2 arms x 3 mice, 10 days) keep it cheap."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("shiny", reason="the app extra (shiny) is not installed: pip install '.[app]'")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the dev extra)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs chromium and chromedriver (apt-get install chromium chromium-driver)")

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from immunomet.report.tables import fmt, summary_compact  # noqa: E402
from immunomet.store import open_run  # noqa: E402

CHROME_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--window-size=1400,1600")
TINY = {"animals": "3", "follow_up": "10", "readout_days": "9"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app served by ``immunomet app`` in a subprocess, as a user starts it."""
    root = tmp_path_factory.mktemp("app") / "runs"
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "immunomet", "app", "--port", str(port), "--root", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            break
        except OSError:
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
    yield url, root
    proc.terminate()
    log = proc.communicate(timeout=20)[0]
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _wait(driver, condition, timeout=90):
    """Poll ``condition`` (outputs are redrawn while tasks run: a stale element is tried again)."""
    return WebDriverWait(driver, timeout, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: condition(d))


def _type(driver, key: str, text: str) -> None:
    box = driver.find_element(By.ID, key)
    box.clear()
    box.send_keys(text)


def _error(driver, key: str) -> str:
    found = driver.find_elements(By.ID, f"error-{key}")
    return found[0].text if found else ""


def _open_tab(driver, url: str, new: bool) -> str:
    if new:
        driver.switch_to.new_window("tab")
    driver.get(url)
    _wait(driver, lambda d: "name: my-study" in d.find_element(By.ID, "yaml_text").text, 30)
    return driver.current_window_handle


def _design(driver, name: str, seed: str, genotype: str) -> None:
    for key, value in {"name": name, "seed": seed, **TINY}.items():
        _type(driver, key, value)
    for i, agent in enumerate(("isotype", "anti-pdl1")):
        driver.find_element(By.CSS_SELECTOR, f"#arm{i}_genotype option[value='{genotype}']").click()
        _type(driver, f"arm{i}_treatments", f"{agent}:200ug@d4,d7")
    _wait(driver, lambda d: f"name: {name}" in d.find_element(By.ID, "yaml_text").text
          and "follow_up: 10.0" in d.find_element(By.ID, "yaml_text").text and "d4,d7']" in
          d.find_element(By.ID, "yaml_text").text, 20)


def _state(driver, element: str) -> str:
    found = driver.find_elements(By.ID, element)
    return found[0].get_attribute("data-state") if found else ""


def test_checks_appear_beside_the_field_as_the_user_types(app, browser):
    url, _ = app
    _open_tab(browser, url, new=False)
    _type(browser, "readout_days", "9x")
    _wait(browser, lambda d: _error(d, "readout_days") == "'9x' is not a number", 10)
    _type(browser, "readout_days", "40")
    _wait(browser, lambda d: "after the end of follow-up" in _error(d, "readout_days"), 10)
    _type(browser, "readout_days", "21")
    _type(browser, "arm1_treatments", "anti-foo:200ug@d8")
    _wait(browser, lambda d: "unknown agent 'anti-foo'" in _error(d, "arm1_treatments"), 10)
    message = browser.find_element(By.ID, "error-arm1_treatments")
    field = browser.find_element(By.ID, "arm1_treatments")
    assert message.find_element(By.XPATH, "./ancestor::div[@id='arm-1']")  # beside its field, in its arm
    assert abs(message.location["y"] - (field.location["y"] + field.size["height"])) < 60
    _type(browser, "arm1_treatments", "anti-pdl1:200ug@d8,d11")
    _wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, ".field-error"), 10)
    assert "Traceback" not in browser.page_source


def test_two_tabs_run_at_once_and_show_the_numbers_the_cli_gets(app, browser, tmp_path):
    url, root = app
    tabs = {"tab-a": ("1", "il6-ko"), "tab-b": ("2", "wt")}
    handles = {}
    for k, (name, (seed, genotype)) in enumerate(tabs.items()):
        handles[name] = _open_tab(browser, url, new=k > 0)
        _design(browser, name, seed, genotype)
    for name in tabs:  # start both before either finishes
        browser.switch_to.window(handles[name])
        browser.find_element(By.ID, "run").click()
        _wait(browser, lambda d: _state(d, "run-status") in ("running", "done"), 20)
    for name, (seed, _) in tabs.items():
        browser.switch_to.window(handles[name])
        _wait(browser, lambda d: _state(d, "run-status") in ("done", "failed", "cancelled"), 120)
        assert _state(browser, "run-status") == "done", browser.find_element(By.ID, "run-status").text
        run = browser.find_element(By.ID, "result-run")
        assert (run.get_attribute("data-study"), run.get_attribute("data-seed")) == (name, seed)
        shown_yaml = browser.find_element(By.ID, "yaml_text").text
        href = browser.find_element(By.ID, "download_yaml").get_attribute("href")
        downloaded = urllib.request.urlopen(href, timeout=10).read().decode()
        assert downloaded.strip() == shown_yaml.strip()
        study = tmp_path / f"{name}.yaml"
        study.write_text(downloaded)
        cli = subprocess.run([sys.executable, "-m", "immunomet", "run", str(study), "--out", str(tmp_path / name),
                              "--quiet"], capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0, cli.stderr
        _, cli_result, _ = open_run(tmp_path / name)
        cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#result-summary td")]
        assert cells == [fmt(v).strip() for row in summary_compact(cli_result).itertuples(index=False) for v in row]
        app_folder = Path(run.find_element(By.TAG_NAME, "code").text)
        assert app_folder.parent == root
        _, app_result, _ = open_run(app_folder)
        pd.testing.assert_frame_equal(app_result.readouts, cli_result.readouts)
        pd.testing.assert_frame_equal(app_result.animals, cli_result.animals)


def test_runs_page_lists_the_runs_and_writes_a_report(app, browser):
    url, root = app
    browser.get(url)
    browser.find_element(By.LINK_TEXT, "Runs").click()
    _wait(browser, lambda d: "tab-a" in d.find_element(By.ID, "runs_table").text
          and "tab-b" in d.find_element(By.ID, "runs_table").text, 20)
    option = browser.find_element(By.XPATH, "//select[@id='run_pick']/option[contains(., 'tab-a')]")
    option.click()
    _wait(browser, lambda d: "tab-a" in d.find_element(By.ID, "run_detail").text, 20)
    browser.find_element(By.ID, "make_report").click()
    _wait(browser, lambda d: _state(d, "run-task-status") in ("done", "failed"), 120)
    assert _state(browser, "run-task-status") == "done", browser.find_element(By.ID, "run-task-status").text
    link = _wait(browser, lambda d: d.find_elements(By.ID, "report-link"), 20)[0]
    page = urllib.request.urlopen(link.get_attribute("href"), timeout=10).read().decode()
    assert '<section id="findings">' in page and "data:image/png;base64," in page


def test_one_mouse_says_when_it_is_past_the_humane_end_point(app, browser):
    from immunomet import load_model, simulate
    from immunomet.spec import Injection, Protocol

    url, _ = app
    browser.get(url)
    browser.find_element(By.LINK_TEXT, "One mouse").click()
    _type(browser, "mouse_days", "30")
    _type(browser, "mouse_seed", "3")
    browser.find_element(By.ID, "simulate").click()
    summary = _wait(browser, lambda d: d.find_elements(By.ID, "mouse-summary"), 60)[0].text
    assert "PAST THE HUMANE END POINT" in summary
    expected = simulate(load_model("mouse"), Protocol("wt", (), Injection(cells=1e5), days=30.0), seed=3)
    lines = str(expected).splitlines()
    assert summary.splitlines()[:len(lines)] == lines

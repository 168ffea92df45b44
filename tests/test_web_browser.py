"""kb serve in a real browser (Debian's chromium, driven by Selenium through
/usr/bin/chromedriver, never a downloaded browser): a person follows links from the home
page to the article, to a fact, to a question's answers and into the query form; the
evidence words are highlighted; nothing is fetched from elsewhere; the pages pass
axe-core's checks (served to the page by the test from node_modules, installed by
``npm install``) and show where the keyboard focus is. Screenshots go to the test's
temporary directory (and to $KB_SCREENSHOTS when set)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import REPO, unavailable
from tests.web_server import Server, kb_serve

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1200,1400",
)


def _missing(what: str) -> None:
    unavailable(f"{what} is missing")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with kb_serve() as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        _missing("chromium or chromium-driver (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium (pip install '.[test]')")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    where = Path(os.environ.get("KB_SCREENSHOTS", tmp_path))
    where.mkdir(parents=True, exist_ok=True)
    return where


def _by(kind: str) -> object:
    from selenium.webdriver.common.by import By

    return getattr(By, kind)


def _only_our_own_requests(driver: object, server: Server) -> None:
    urls = driver.execute_script(  # type: ignore[attr-defined]
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert all(url.startswith(server.url) for url in urls), urls


def _basic_accessibility(driver: object) -> None:
    assert driver.find_element(_by("TAG_NAME"), "html").get_attribute("lang") == "en"  # type: ignore[attr-defined]
    assert len(driver.find_elements(_by("TAG_NAME"), "h1")) == 1  # type: ignore[attr-defined]


def test_a_person_browses_from_home_to_evidence(
    browser: object, server: Server, shots: Path
) -> None:
    driver = browser
    driver.get(server.url + "/")  # type: ignore[attr-defined]
    _basic_accessibility(driver)
    driver.save_screenshot(str(shots / "home.png"))  # type: ignore[attr-defined]
    # home -> the article
    driver.find_element(_by("PARTIAL_LINK_TEXT"), "article:").click()  # type: ignore[attr-defined]
    assert "/id/article/" in driver.current_url  # type: ignore[attr-defined]
    marks = driver.find_elements(_by("CSS_SELECTOR"), ".article-text mark.span")  # type: ignore[attr-defined]
    assert len(marks) > 20
    assert marks[0].value_of_css_property("background-color") == "rgba(255, 240, 168, 1)"
    driver.save_screenshot(str(shots / "article.png"))  # type: ignore[attr-defined]
    _basic_accessibility(driver)
    # a marked passage -> its entry in the list -> the fact it supports
    passage = marks[0].find_element(_by("TAG_NAME"), "a")
    target = passage.get_attribute("href")
    passage.click()
    assert driver.current_url == target  # type: ignore[attr-defined]
    entry = "#" + target.split("#", 1)[1]
    driver.find_element(_by("CSS_SELECTOR"), f"{entry} ul a").click()  # type: ignore[attr-defined]
    assert "/id/" in driver.current_url and "/article/" not in driver.current_url  # type: ignore[attr-defined]
    _basic_accessibility(driver)
    _only_our_own_requests(driver, server)


def test_a_person_page_highlights_the_articles_words(
    browser: object, server: Server, shots: Path
) -> None:
    driver = browser
    driver.get(server.url + "/id/person/massimiliano-boggetti")  # type: ignore[attr-defined]
    assert driver.find_element(_by("TAG_NAME"), "h1").text == "Massimiliano Boggetti"  # type: ignore[attr-defined]
    highlighted = driver.find_elements(_by("CSS_SELECTOR"), "blockquote.evidence mark")  # type: ignore[attr-defined]
    assert highlighted and highlighted[0].text == "Massimiliano Boggetti"
    assert highlighted[0].value_of_css_property("background-color") == "rgba(255, 240, 168, 1)"
    driver.save_screenshot(str(shots / "person.png"))  # type: ignore[attr-defined]
    # a property's labelled link leads to the post's page
    driver.find_element(  # type: ignore[attr-defined]
        _by("LINK_TEXT"), "President of Confindustria Medical Devices"
    ).click()
    assert driver.current_url.endswith("/id/post/confindustria-medical-devices-president") or (  # type: ignore[attr-defined]
        "/id/post/" in driver.current_url  # type: ignore[attr-defined]
    )


def test_a_question_shows_its_answers_and_leads_into_the_data(
    browser: object, server: Server, shots: Path
) -> None:
    driver = browser
    driver.get(server.url + "/")  # type: ignore[attr-defined]
    driver.find_element(_by("CSS_SELECTOR"), "ol.questions a").click()  # type: ignore[attr-defined]
    assert "/queries/" in driver.current_url  # type: ignore[attr-defined]
    assert driver.find_element(_by("CSS_SELECTOR"), "p.ok").text.startswith("Matches")  # type: ignore[attr-defined]
    rows = driver.find_elements(_by("CSS_SELECTOR"), "table tbody tr")  # type: ignore[attr-defined]
    assert rows
    driver.save_screenshot(str(shots / "question.png"))  # type: ignore[attr-defined]
    link = driver.find_element(_by("CSS_SELECTOR"), "table tbody td a")  # type: ignore[attr-defined]
    link.click()
    assert driver.find_element(_by("ID"), "properties")  # type: ignore[attr-defined]


@contextmanager
def _scripts_off(driver: object) -> Iterator[None]:
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})  # type: ignore[attr-defined]
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})  # type: ignore[attr-defined]


def test_the_query_form_works_without_javascript(
    browser: object, server: Server, shots: Path
) -> None:
    driver = browser
    with _scripts_off(driver):
        _run_in_the_form(driver, server, shots)


def _run_in_the_form(driver: object, server: Server, shots: Path) -> None:
    driver.get(server.url + "/sparql")  # type: ignore[attr-defined]
    box = driver.find_element(_by("ID"), "query")  # type: ignore[attr-defined]
    label = driver.find_element(_by("CSS_SELECTOR"), "label[for=query]")  # type: ignore[attr-defined]
    assert label.text
    box.send_keys(
        "SELECT ?name WHERE { ?p a <https://schema.org/Person> ; <https://schema.org/name> ?name }"
    )
    driver.find_element(_by("CSS_SELECTOR"), "form button").click()  # type: ignore[attr-defined]
    from selenium.webdriver.support.ui import WebDriverWait

    # the click returns before the answer page has loaded on a busy machine: wait for it
    def _cells(d: object) -> list[str]:
        return [c.text for c in d.find_elements(_by("CSS_SELECTOR"), "tbody td")]  # type: ignore[attr-defined]

    WebDriverWait(driver, 20).until(lambda d: "Massimiliano Boggetti" in _cells(d))
    assert "Massimiliano Boggetti" in _cells(driver)
    driver.save_screenshot(str(shots / "sparql.png"))  # type: ignore[attr-defined]


def test_the_editor_runs_a_query_and_asks_only_this_server(
    browser: object, server: Server, shots: Path
) -> None:
    """YASGUI (vendored, served from /static) in place of the form: a query typed into
    it runs against this server's /sparql; no request goes elsewhere, and none is even
    attempted (the page's CSP would report it)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(server.url + "/sparql")  # type: ignore[attr-defined]
    driver.execute_script(  # type: ignore[attr-defined]
        "window.refused = []; document.addEventListener('securitypolicyviolation',"
        " e => window.refused.push(e.blockedURI + ' ' + e.violatedDirective));"
    )
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.find_elements(_by("CSS_SELECTOR"), "#editor .CodeMirror"))
    assert not driver.find_element(_by("CSS_SELECTOR"), "form.query-form").is_displayed()  # type: ignore[attr-defined]
    driver.execute_script(  # type: ignore[attr-defined]
        "document.querySelector('#editor .CodeMirror').CodeMirror.setValue(arguments[0]);",
        "SELECT ?name WHERE { ?p a <https://schema.org/Person> ; <https://schema.org/name> ?name }",
    )
    driver.find_element(_by("CSS_SELECTOR"), "#editor .yasqe_queryButton").click()  # type: ignore[attr-defined]
    wait.until(lambda d: "Massimiliano Boggetti" in d.find_element(_by("ID"), "editor").text)
    driver.save_screenshot(str(shots / "sparql-editor.png"))  # type: ignore[attr-defined]
    _only_our_own_requests(driver, server)
    refused = driver.execute_script("return window.refused;")  # type: ignore[attr-defined]
    # an inline <style> YASGUI adds is refused by the CSP (style-src 'self'): not a request
    assert not [r for r in refused if not r.startswith("inline ")], refused


def test_keyboard_focus_is_visible(browser: object, server: Server) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver = browser
    driver.get(server.url + "/id/person/massimiliano-boggetti")  # type: ignore[attr-defined]
    for _ in range(2):
        ActionChains(driver).send_keys(Keys.TAB).perform()
    style = driver.execute_script(  # type: ignore[attr-defined]
        "const s = getComputedStyle(document.activeElement);"
        "return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth];"
    )
    assert style[0] == "A" and style[1] != "none" and style[2] != "0px", style


@pytest.mark.parametrize(
    "path",
    ["/", "/id/person/massimiliano-boggetti", "/id/article/86b06078204c6c08", "/sparql"],
)
def test_axe_finds_no_serious_problem(browser: object, server: Server, path: str) -> None:
    if not AXE.is_file():
        _missing("axe-core (npm install)")
    driver = browser
    driver.get(server.url + path)  # type: ignore[attr-defined]
    driver.execute_script(AXE.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    driver.set_script_timeout(60)  # type: ignore[attr-defined]
    violations = driver.execute_async_script(  # type: ignore[attr-defined]
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])))"
        ".catch(e => done([['error', String(e), 0]]));"
    )
    serious = [v for v in violations if v[1] in ("serious", "critical") or v[0] == "error"]
    assert not serious, violations

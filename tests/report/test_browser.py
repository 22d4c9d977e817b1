# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report.html in headless Chromium, as a person opens it: on a laptop (1280 px) and a phone (390 px).

The page must be whole without the network (nothing requested but the file itself), have its problems first
(the expired one on top), the table and the timeline with its legend, and nothing wider than the screen. The
screenshots are kept in the test's folder and copied to build/report-screenshots/.
"""

from __future__ import annotations

import shutil

import pytest
from browser import Browser
from report_support import SCREENSHOTS, require_debian_package

WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def page(nginx_report, tmp_path_factory):
    """Chromium with a fresh profile, and the report's file URL."""
    require_debian_package("chromium", "chromium")
    directory, _run = nginx_report
    with Browser(tmp_path_factory.mktemp("chromium-profile")) as browser:
        browser.call("Network.enable", session=True)
        yield browser, (directory / "report.html").as_uri()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_as_a_person_sees_it(page, width, tmp_path):
    browser, url = page
    browser.open(url, width)
    facts = browser.evaluate(
        """(() => {
          const doc = document.documentElement;
          const first = (selector) => document.querySelector(selector);
          const wide = Array.from(document.querySelectorAll('body *')).filter((element) => {
            if (element.closest('.chart-scroll, .table-wrap') && !element.matches('.chart-scroll, .table-wrap')) {
              return false;  // inside a strip that scrolls by itself
            }
            const box = element.getBoundingClientRect();
            return box.width > 0 && (box.right > window.innerWidth + 1 || box.left < -1);
          }).map((element) => element.tagName + '.' + element.className);
          return {
            scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, wide: wide.slice(0, 5),
            title: document.title, h1: first('h1').textContent,
            problemsBeforeTimeline: !!(first('#problems').compareDocumentPosition(first('#timeline'))
              & Node.DOCUMENT_POSITION_FOLLOWING),
            firstProblemKind: first('#problems .group').dataset.kind,
            firstRowStatus: first('table.endpoints tbody tr').dataset.status,
            rows: document.querySelectorAll('table.endpoints tbody tr').length,
            svg: !!first('svg.timeline'), bars: document.querySelectorAll('svg.timeline rect.bar').length,
            today: !!first('svg.timeline line.today'), steps: !!first('svg.timeline polyline.step-line'),
            legend: Array.from(document.querySelectorAll('.legend li')).map((item) => item.textContent.trim()),
            scripts: Array.from(document.scripts).filter((script) => script.src).length,
            links: Array.from(document.querySelectorAll('link[href]')).length,
            chartScrolls: first('.chart-scroll').scrollWidth > first('.chart-scroll').clientWidth,
            tablesScroll: Array.from(document.querySelectorAll('.table-wrap'))
              .filter((wrap) => wrap.scrollWidth > wrap.clientWidth + 1).length,
          };
        })()"""
    )
    browser.screenshot(tmp_path / f"report-{width}.png")
    browser.screenshot(tmp_path / f"report-{width}-top.png", full_page=False, top=0, height=1200)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for shot in tmp_path.glob("*.png"):
        shutil.copy(shot, SCREENSHOTS / shot.name)
    assert facts["scrollWidth"] <= facts["innerWidth"], facts
    assert facts["wide"] == [], facts
    assert (facts["title"], facts["h1"]) == ("Web servers", "Web servers")
    assert facts["problemsBeforeTimeline"]
    assert facts["firstProblemKind"] == "expired"
    assert facts["firstRowStatus"] == "expired"
    assert facts["rows"] == 13
    assert facts["svg"] and facts["today"] and facts["steps"]
    assert facts["bars"] == 12  # one per certificate served: every answering endpoint has its own
    assert {"Expired", "Renewal window", "Today"} <= set(facts["legend"])
    assert any(item.startswith("SC-081 maximum lifetime") for item in facts["legend"])
    assert (facts["scripts"], facts["links"]) == (0, 0)
    assert facts["chartScrolls"] == (width < 700)  # on a phone the timeline scrolls sideways in its own strip
    assert facts["tablesScroll"] == 0  # the tables fit: side by side on a laptop, as cards on a phone
    assert browser.requests() == [url]


def test_the_table_sorts_by_days_left(page):
    browser, url = page
    browser.open(url, 1280)
    days = browser.evaluate(
        """(() => {
          const table = document.querySelector('table.endpoints');
          const head = Array.from(table.tHead.rows[0].cells).find((cell) => cell.textContent.includes('Days left'));
          head.querySelector('button').click();
          return [head.getAttribute('aria-sort'),
                  Array.from(table.tBodies[0].rows).map((row) => row.cells[4].dataset.sort)];
        })()"""
    )
    order, values = days
    numbers = [float(value) for value in values if value]
    assert order == "ascending"
    assert numbers == sorted(numbers)
    assert numbers[0] < 0  # the expired certificate
    assert values[-1] == ""  # the host that answered nothing has no days left, and sorts last


def test_the_page_reads_without_script(page, tmp_path):
    browser, url = page
    browser.call("Emulation.setScriptExecutionDisabled", {"value": True}, session=True)
    try:
        browser.open(url, 1280)
        text = browser.evaluate("document.body.innerText")
    finally:
        browser.call("Emulation.setScriptExecutionDisabled", {"value": False}, session=True)
    assert "Problems (7)" in text
    assert "Validity timeline" in text
    assert "expired.example.net" in text

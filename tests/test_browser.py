"""The setup form in a real browser: JupyterLab + Debian's headless Chromium driven by Playwright.

Opens 00_lab_setup, runs it, types a malformed id and sees it rejected, types the same
id for both accounts and sees that rejected, fixes both, re-runs, and sees the identities; then
Saves (the form echoes what it saved) and runs all again: the typed ids survive and the status shows 00 done;
then runs 05 out of order and sees one "run 01 first" box, its traceback folded.
Then the whole lab as an attendee runs it: Run All in 01 … 10 and 99, one after the other, each
notebook running every cell (a verdict that does not hold stops Run All), the domain's wait
ending green with its duration, and each notebook's status table showing the steps done.
Screenshots go to build/screenshots/ (CI lists them); the assertions read the page.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from lab_helpers.offline import server

from lab_helpers.offline.server import free_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "build" / "screenshots"
TOKEN = "lab-browser-test"
OUT_OF_ORDER = "05_publisher_create_projects_and_environments"  # opened after 00 only: must say "run 01 first"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true",
    reason="Debian's chromium is not installed (.ci/run installs it)",
)


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jlab")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):  # the committed notebooks, no outputs
        shutil.copy(path, folder / path.name)
    settings = folder / "settings"  # the Makefile's JupyterLab settings: no news or update pop-up
    (settings / "overrides.d").mkdir(parents=True)
    overrides = json.loads((ROOT / "jupyter" / "overrides.json").read_text())
    # every cell in the page (JupyterLab renders only the visible ones by default), so the test can read them all
    overrides.setdefault("@jupyterlab/notebook-extension:tracker", {})["windowingMode"] = "none"
    (settings / "overrides.d" / "datazone-lab.json").write_text(json.dumps(overrides))
    port, lab_port = free_port(), free_port()
    work = folder / "work"
    env = {**os.environ, "LAB_WORKDIR": str(work), "LAB_OFFLINE_PORT": str(lab_port), "JUPYTER_PLATFORM_DIRS": "1"}
    log = open(folder / "jupyterlab.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={folder}", "--ServerApp.open_browser=False", "--allow-root",
         f"--LabApp.workspaces_dir={folder / 'workspaces'}",  # a fresh layout: no notebook left open by a last run
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         f"--LabApp.app_settings_dir={settings}"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    os.environ["LAB_BROWSER_STAND_IN"] = f"http://127.0.0.1:{lab_port}"  # for the test that paces a wait
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail(f"JupyterLab did not start; see {folder / 'jupyterlab.log'}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    server.stop(str(work), lab_port)


def _chromium_page(pw):
    """Debian's headless Chromium and a page the size of a laptop screen: ``(browser, page)``."""
    browser = pw.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"],
    )
    return browser, browser.new_page(viewport={"width": 1400, "height": 1000})


def _run_all(page):
    page.locator(".jp-Notebook").first.click()
    page.keyboard.press("Escape")
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def _wait_idle(page, timeout=120_000):
    page.wait_for_function(
        "() => { const c = document.querySelectorAll('.jp-InputArea-prompt');"
        " return c.length > 0 && [...c].every(e => !e.textContent.includes('*')); }",
        timeout=timeout,
    )


def test_setup_form_validates_in_the_browser(jupyterlab):
    playwright = pytest.importorskip("playwright.sync_api")
    assert CHROMIUM, "chromium must be installed for the browser test"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as pw:
        browser, page = _chromium_page(pw)
        try:
            page.goto(f"{jupyterlab}/lab/tree/00_lab_setup.ipynb?token={TOKEN}", timeout=90_000)
            page.wait_for_selector(".jp-Notebook", timeout=90_000)
            form = page.locator(".lab-form")
            for _attempt in range(3):  # a click before the kernel is connected is dropped: try again
                page.wait_for_function("() => document.querySelector('.jp-StatusBar-Widget') &&"
                                       " document.body.innerText.includes('| Idle')", timeout=90_000)
                _run_all(page)
                try:
                    form.wait_for(timeout=30_000)
                    break
                except Exception:
                    continue
            form.wait_for(timeout=1_000)
            _wait_idle(page)
            page.screenshot(path=str(SHOTS / "01-form-rendered.png"))
            producer = form.locator("input").nth(0)
            consumer = form.locator("input").nth(1)
            message = form.locator(".lab-form-message")
            assert "Settings look valid" in message.inner_text()

            producer.fill("12345abc")
            producer.press("Tab")
            page.wait_for_selector(".lab-form-error", timeout=10_000)
            assert "digits only" in message.inner_text()
            page.screenshot(path=str(SHOTS / "02-malformed-id.png"))

            producer.fill("333333333333")
            consumer.fill("333333333333")
            consumer.press("Tab")
            page.wait_for_function("() => document.querySelector('.lab-form-message').textContent.includes('must differ')")
            assert "must differ from the producer" in message.inner_text()
            page.screenshot(path=str(SHOTS / "03-same-account.png"))

            consumer.fill("444444444444")
            consumer.press("Tab")
            page.wait_for_function("() => document.querySelector('.lab-form-message').textContent.includes('look valid')")

            # re-run the cells after the form: they read it, save the settings and show the identities
            page.locator(".jp-Cell").nth(5).click()
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run Selected Cell and All Below").click()
            page.wait_for_function(
                "() => document.body.innerText.includes('arn:aws:sts::444444444444:assumed-role/LabSubscriber')",
                timeout=120_000,
            )
            _wait_idle(page)
            page.screenshot(path=str(SHOTS / "04-identities.png"), full_page=True)
            text = page.locator(".jp-Notebook").inner_text()
            assert "producer=333333333333" in text and "consumer=444444444444" in text
            assert "arn:aws:sts::333333333333:assumed-role/LabProducerAdmin" in text

            # Save echoes what it saved; Run All then starts the form from it: the typed ids survive
            form.get_by_role("button", name="Save").click()
            page.wait_for_selector(".lab-form-saved-ok", timeout=10_000)
            assert "producer_account_id=333333333333" in form.locator(".lab-form-saved").inner_text()
            page.screenshot(path=str(SHOTS / "05-saved.png"))
            _run_all(page)
            page.wait_for_function("() => document.body.innerText.includes('Starting from the saved settings')",
                                   timeout=120_000)
            _wait_idle(page)
            form = page.locator(".lab-form")
            assert [form.locator("input").nth(i).input_value() for i in (0, 1)] == ["333333333333", "444444444444"]
            status = page.locator("table.lab-status")
            status.wait_for(timeout=60_000)
            assert "done" in status.locator("tr", has_text="00_lab_setup").inner_text()
            page.screenshot(path=str(SHOTS / "06-run-all-keeps-the-ids.png"), full_page=True)

            # a notebook run out of order: one box naming the notebook to run, the traceback folded
            page.locator(".jp-DirListing-item", has_text=OUT_OF_ORDER).dblclick()
            active = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            active.locator(".jp-Notebook").wait_for(timeout=30_000)
            page.wait_for_function("() => document.body.innerText.includes('| Idle')", timeout=90_000)
            active.locator(".jp-Cell").first.click()
            page.keyboard.press("Escape")
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            error = active.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            error.first.wait_for(timeout=120_000)
            error.first.scroll_into_view_if_needed()
            playwright.expect(error.first).to_contain_text("PreconditionError", timeout=30_000)
            box, text = error.first.text_content() or "", active.inner_text()
            assert ("PreconditionError: Run 01_producer_admin_create_domain first (then 04): "
                    "this notebook needs the domain it creates.") == box.strip(), box
            assert "Traceback (most recent call last)" not in text and "File " not in text
            assert error.count() == 1  # stopped in its first cell: nothing below ran
            page.screenshot(path=str(SHOTS / "07-out-of-order.png"))
            active.locator(".lab-traceback summary").click()  # the full traceback, for a bug report
            assert "Traceback (most recent call last)" in active.locator(".lab-traceback").inner_text()
            page.screenshot(path=str(SHOTS / "08-traceback-unfolded.png"))
        except Exception:
            page.screenshot(path=str(SHOTS / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()


WALKTHROUGH = ["01_producer_admin_create_domain", "02_producer_admin_request_association",
               "03_consumer_admin_accept_association", "04_producer_admin_add_users",
               "05_publisher_create_projects_and_environments", "06_publisher_publish_assets",
               "07_subscriber_create_projects_and_environments", "08_subscriber_request_access",
               "09_publisher_approve_requests", "10_subscriber_query_data", "11_producer_admin_audit", "99_cleanup"]


def _open(page, name):
    """Open notebook ``name`` from the file browser; returns its (visible) panel once its kernel is idle."""
    page.locator(".jp-DirListing-item", has_text=name).dblclick()
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Notebook").wait_for(timeout=60_000)
    page.wait_for_function("() => document.body.innerText.includes('| Idle')", timeout=120_000)
    return panel


def _run_all_in(page, panel, timeout=300_000):
    """Run All in ``panel``; returns once its first cell ran again and no cell is running (``[*]``) or queued.

    A click before the kernel is connected is dropped: Run All is asked again then.
    """
    first = panel.locator(".jp-CodeCell .jp-InputArea-prompt").first
    before = first.inner_text()
    for _attempt in range(3):
        panel.locator(".jp-Cell").first.click()
        page.keyboard.press("Escape")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.wait_for_function("([el, before]) => el.textContent !== before", arg=[first.element_handle(), before],
                                   timeout=20_000)
            break
        except Exception:
            continue
    page.wait_for_function(
        "() => { const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');"
        " const c = p ? [...p.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')] : [];"
        " return c.length > 0 && c.every(e => !e.textContent.includes('*')); }", timeout=timeout)


def _unrun_cells(panel):
    """Code cells without an execution count: after Run All, the cells an error stopped."""
    prompts = panel.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
    return [i for i, text in enumerate(prompts) if not any(ch.isdigit() for ch in text)]


def test_the_whole_lab_with_run_all_in_each_notebook(jupyterlab):
    """An attendee's run: 00, then Run All in 01 … 10 and 99; every cell runs, a paced wait ends green."""
    playwright = pytest.importorskip("playwright.sync_api")
    assert CHROMIUM, "chromium must be installed for the browser test"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as pw:
        browser, page = _chromium_page(pw)
        try:
            page.goto(f"{jupyterlab}/lab?token={TOKEN}", timeout=90_000)
            page.wait_for_selector(".jp-DirListing-item", timeout=90_000)
            panel = _open(page, "00_lab_setup")
            _run_all_in(page, panel)
            assert not _unrun_cells(panel), "00 stopped before its end"
            # the domain takes 4 s on the stand-in (its state manager), as it takes minutes on AWS
            request = urllib.request.Request(
                f"{os.environ['LAB_BROWSER_STAND_IN']}/moto-api/state-manager/set-transition", method="POST",
                data=json.dumps({"model_name": "datazone::domain",
                                 "transition": {"progression": "time", "seconds": 4}}).encode())
            urllib.request.urlopen(request, timeout=10).read()
            for number, name in enumerate(WALKTHROUGH):
                panel = _open(page, name)
                _run_all_in(page, panel)
                stopped = _unrun_cells(panel)
                if stopped:
                    page.screenshot(path=str(SHOTS / f"failure-{name[:2]}.png"), full_page=True)
                assert not stopped, f"{name}: Run All stopped before code cell {stopped[0]}: see failure-{name[:2]}.png"
                text = panel.inner_text()
                assert "Traceback (most recent call last)" not in text, name
                if name.startswith("01"):
                    assert "AVAILABLE after" in text, "the domain's wait does not end with its status and duration"
                    wait = panel.locator(".widget-hbox", has_text="AVAILABLE after").first
                    bar = wait.locator(".progress-bar")
                    assert "progress-bar-success" in (bar.get_attribute("class") or ""), "the finished wait is not green"
                    assert bar.evaluate("e => e.style.width") == "100%"
                    colour = bar.evaluate("e => getComputedStyle(e).backgroundColor")
                    red, green, _blue = (int(v) for v in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
                    assert green > red, f"the finished wait's bar is {colour}, not green"
                    wait.scroll_into_view_if_needed()
                    page.screenshot(path=str(SHOTS / "09-wait-ends-green.png"))
                status = panel.locator("table.lab-status")
                assert status.count() == 1, f"{name} shows no status of the steps"
                row = status.locator("tr", has_text=name).inner_text()
                assert "done" in row, f"{name}'s own row in the status says {row!r}"
                if name.startswith(("06", "10", "99")):
                    status.scroll_into_view_if_needed()
                    page.screenshot(path=str(SHOTS / f"{10 + number:02d}-{name[:2]}-status.png"))
                if name.startswith("10"):
                    panel.locator("img").last.scroll_into_view_if_needed()
                    page.screenshot(path=str(SHOTS / "30-chart.png"))
        except Exception:
            page.screenshot(path=str(SHOTS / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()

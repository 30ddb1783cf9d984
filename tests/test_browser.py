"""The setup form in a real browser: JupyterLab + Debian's headless Chromium driven by Playwright.

Opens 00_lab_setup, runs it, types a malformed id and sees it rejected, types the same
id for both accounts and sees that rejected, fixes both, re-runs, and sees the identities; then
Saves (the form echoes what it saved) and runs all again: the typed ids survive and the status shows 00 done;
then runs 05 out of order and sees one "run 01 first" box, its traceback folded.
Screenshots go to build/screenshots/ (CI lists them); the assertions read the page.
"""

from __future__ import annotations

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
    for name in ("00_lab_setup", OUT_OF_ORDER):
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:  # start from a clean notebook, as an attendee would
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, folder / f"{name}.ipynb")
    port, lab_port = free_port(), free_port()
    work = folder / "work"
    env = {**os.environ, "LAB_WORKDIR": str(work), "LAB_OFFLINE_PORT": str(lab_port), "JUPYTER_PLATFORM_DIRS": "1"}
    log = open(folder / "jupyterlab.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={folder}", "--ServerApp.open_browser=False", "--allow-root",
         f"--LabApp.workspaces_dir={folder / 'workspaces'}",  # a fresh layout: no notebook left open by a last run
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
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
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
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

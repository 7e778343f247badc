"""Browser fixtures: the whole app on localhost and Debian's Chromium driven by Playwright."""
import os
import shutil
from pathlib import Path

import pytest

from tests.launching import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google hosts a closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FAILURE_SHOTS = Path(os.environ.get("T5STUDIO_TEST_SHOTS", "test-screenshots"))


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The full app (all tabs) served on a free port with its own data home."""
    home = tmp_path_factory.mktemp("browser-home")
    previous = os.environ.get("T5STUDIO_HOME")
    os.environ["T5STUDIO_HOME"] = str(home)
    import app
    from tabs.common import launch_kwargs

    demo = app.build_app()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs())
    yield f"http://127.0.0.1:{port}/"
    demo.close()
    if previous is None:
        os.environ.pop("T5STUDIO_HOME", None)
    else:
        os.environ["T5STUDIO_HOME"] = previous


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url, request):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(int(os.environ.get("T5STUDIO_TEST_TIMEOUT_MS", "60000")))
    page.goto(app_url)
    page.get_by_role("tab", name="訓練").wait_for()
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        FAILURE_SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(FAILURE_SHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)

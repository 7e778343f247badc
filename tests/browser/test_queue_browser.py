"""Two people start trainings at once, in Chromium, in Japanese and in English (issue 14, item 2):
the second waits in line, sees its place and when it should start, and can leave the line."""
import re
from urllib.parse import urljoin

from engine.core.messages import text
from tests.browser.test_teacher_view import LOCALES, lang, page  # noqa: F401 - fixtures
from tests.browser.test_train_browser import fill_number
from tests.places import PAIRS


def start_training(page, lang, name, max_steps):
    page.locator("input[type=file]").first.set_input_files(str(PAIRS))
    page.get_by_role("combobox", name=text("train.input_column", lang), exact=True).wait_for()
    page.get_by_label(text("train.name", lang)).fill(name)
    page.get_by_text(text("train.hyperparameters", lang), exact=True).click()
    field = page.get_by_label(text("train.max_steps", lang), exact=True)
    for _ in range(20):  # fields of a just-opened accordion mount a moment later
        field.fill(str(max_steps))
        page.wait_for_timeout(150)
        if field.input_value() == str(max_steps):
            break
    page.get_by_role("button", name=text("train.start", lang), exact=True).click()


def test_a_second_training_waits_in_line_and_can_leave_it(page, lang, browser, app_url):
    start_training(page, lang, f"first-{lang}", 3000)
    page.locator(".t5s-progress", has_text=text("train.status_running", lang)).wait_for(timeout=120_000)
    other = browser.new_context(locale=LOCALES[lang]).new_page()
    try:
        other.goto(app_url)
        start_training(other, lang, f"second-{lang}", 5)
        place = text("train_ui.queued", lang, place=1, starts="").strip().rstrip(".。")[:8]
        waiting = other.locator(".t5s-progress", has_text=place)  # not the page-load note, which names the line too
        waiting.wait_for()
        assert re.search(r"\d+:\d\d:\d\d", waiting.inner_text())
        other.reload()  # a reload finds its place again
        other.locator(".t5s-progress", has_text=text("train.status_queued", lang)).wait_for()
        other.get_by_role("button", name=text("train.stop", lang), exact=True).click()
        other.get_by_text(text("train_ui.left_queue", lang)).wait_for()
    finally:
        other.context.close()
        page.get_by_role("button", name=text("train.stop", lang), exact=True).click()  # never leave it training
    page.locator(".t5s-progress", has_text=text("train.status_stopped", lang)).wait_for(timeout=120_000)


def test_a_four_point_search_from_the_train_tab(page, lang):
    """Issue 14, item 3: each combination is a training in line; the table ranks them at the end."""
    page.locator("input[type=file]").first.set_input_files(str(PAIRS))
    page.get_by_role("combobox", name=text("train.input_column", lang), exact=True).wait_for()
    page.get_by_label(text("train.name", lang)).fill(f"grid-{lang}")
    page.get_by_text(text("train.hyperparameters", lang), exact=True).click()
    fill_number(page, text("train.max_steps", lang), "2")
    page.get_by_text(text("search_ui.title", lang), exact=True).click()
    page.get_by_label(text("search_ui.grid", lang)).fill("learning_rate=1e-4,1e-3\nbatch_size=2,4")
    page.get_by_role("button", name=text("search_ui.start", lang), exact=True).click()
    best = text("search.best", lang, name="NAME", loss="LOSS").split("NAME")[0]
    page.get_by_text(re.compile(re.escape(best) + f"grid-{lang}-\\d")).first.wait_for(timeout=600_000)
    table = page.locator(".block", has=page.get_by_text(text("search_ui.results", lang), exact=True)).last
    shown = table.inner_text()
    assert all(f"grid-{lang}-{k}" in shown for k in range(1, 5))
    assert shown.count(text("train.status_finished", lang)) == 4
    link = table.get_by_role("link").first  # each row's run, opened in the Logs tab
    run_id = link.inner_text().strip()
    page.goto(urljoin(page.url, link.get_attribute("href")))
    logs = page.get_by_role("tab", name=text("app.tab_logs", lang), exact=True)
    page.wait_for_function("(tab) => tab.getAttribute('aria-selected') === 'true'", arg=logs.element_handle())
    shown = page.get_by_role("tabpanel")  # hidden panels are left out: this is the Logs tab
    shown.get_by_text(run_id, exact=True).first.wait_for()
    shown.locator(f"text=/^grid-{lang}-\\d$/ >> visible=true").first.wait_for()  # the record of a search's run

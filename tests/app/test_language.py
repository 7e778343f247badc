"""One rule for every text a page shows: the browser's language (Japanese first, English second),
for the server's messages as much as for the labels."""
import html

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from engine.core.messages import StudioError, current_language, field_label, language_of, speaking, text
from tabs import logs, train
from tests.launching import served, tab_blocks


@pytest.mark.parametrize("header, lang", [
    ("en-US,en;q=0.9", "en"), ("ja-JP,ja;q=0.9,en;q=0.8", "ja"), ("", "ja"), ("de-DE", "ja"),
    ("fr-FR,fr;q=0.9,en;q=0.8", "en"), ("ja;q=0.5,en;q=0.9", "en"), ("EN-gb", "en"), ("en;q=abc,ja", "ja")])
def test_the_page_language_follows_the_browsers_preferences(header, lang):
    assert language_of(header) == lang


def test_messages_are_written_in_the_language_being_spoken():
    error = StudioError("train.no_csv")
    assert current_language() == "ja" and "CSV" in error.message()
    with speaking("en"):
        assert error.message() != error.message("ja") and field_label("train_loss") == "Mean training loss"
    assert text("logs.status_stopped") == "停止" and text("logs.status_stopped", "en") == "Stopped"


@pytest.fixture(scope="module")
def url():
    with served(tab_blocks(train, logs)) as (address, _):
        yield address


@pytest.mark.parametrize("accept, lang", [("en-US,en;q=0.9", "en"), ("ja-JP,ja", "ja"), (None, "ja")])
def test_a_clients_language_decides_the_servers_messages(url, accept, lang):
    client = Client(url, verbose=False, headers={"Accept-Language": accept} if accept else None)
    assert text("train.no_job", lang) in client.predict(None, api_name="/stop")  # a status line
    with pytest.raises(AppError) as refused:  # an error
        client.predict("20990101-000000-nothing", api_name="/show_run")
    expected = text("logs.run_not_found", lang, run_id="20990101-000000-nothing")
    assert html.escape(expected) in str(refused.value)

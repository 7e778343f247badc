"""A public Space: files outside the app stay unreadable, and users never see each other's work."""
import os
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from tabs import train
from tests.launching import served, single_tab_blocks

PAIRS = Path(__file__).parent / "data" / "pairs.csv"


@pytest.fixture
def server(home):
    with served(single_tab_blocks(train)) as (url, client):
        yield url, client


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd"])
def test_file_route_refuses_paths_outside_the_app(server, target):
    url, _ = server
    response = httpx.get(f"{url}gradio_api/file={target}")
    assert response.status_code in (403, 404)
    assert "root:" not in response.text


def test_data_home_is_not_served(server, home):
    url, client = server
    client.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
    uploads = list((home / "uploads").rglob("*.csv"))
    assert uploads  # the session's own copy exists on disk...
    response = httpx.get(f"{url}gradio_api/file={uploads[0]}")
    assert response.status_code in (403, 404)  # ...but nobody can fetch it by path


def test_two_users_do_not_share_uploads_or_state(server, home):
    url, alice = server
    bob = Client(url, verbose=False)
    alice.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
    # Bob never uploaded: his session has no CSV, whatever Alice did.
    with pytest.raises(Exception) as info:
        bob.predict("bob", "Input", "Output", "bobs-model", "scratch", "tiny", 1, 2, 3e-4, 2, 1, 0, 0, 16, 16,
                    0.0, 1, 0, 0, 0, "adamw", "linear", api_name="/train")
    assert "CSV" in str(info.value)
    folders = [p for p in (home / "uploads").iterdir() if p.is_dir()]
    assert len(folders) == 1  # only Alice's session folder
    assert all(os.path.basename(str(PAIRS)) in f.name for f in folders[0].iterdir())

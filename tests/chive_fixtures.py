"""chiVe converted once per test session, and data homes that share it (import the fixtures)."""
import pytest

from engine import paths, vectors_chive


@pytest.fixture(scope="session")
def chive_cache(tmp_path_factory):
    """The converted chiVe set's folder; the same place tests/test_vectors.py uses, so it is made once."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.HOME_ENV, str(tmp_path_factory.getbasetemp() / "chive-home"))
        return vectors_chive.ensure_cache()


@pytest.fixture
def chive_home(home, chive_cache):
    """This test's data home, whose vectors/chive is the session's converted cache."""
    (paths.vectors_dir() / vectors_chive.NAME).symlink_to(chive_cache, target_is_directory=True)
    return home

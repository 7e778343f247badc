"""chiVe converted once per test session, and data homes that share it (import the fixtures)."""
import pytest

from engine.core import paths
from engine.vectors import chive


@pytest.fixture(scope="session")
def chive_cache(tmp_path_factory):
    """The converted chiVe set's folder; the same place tests/engine/vectors/test_vectors.py uses, so it is made once."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.HOME_ENV, str(tmp_path_factory.getbasetemp() / "chive-home"))
        return chive.ensure_cache()


@pytest.fixture
def chive_home(home, chive_cache):
    """This test's data home, whose vectors/chive is the session's converted cache."""
    (paths.vectors_dir() / chive.NAME).symlink_to(chive_cache, target_is_directory=True)
    return home

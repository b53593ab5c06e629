import pytest

from immunomet import load_model


@pytest.fixture(scope="session")
def mouse():
    return load_model("mouse")

"""The docs' numbers come from the models' data: the parameter tables are regenerated and compared,
and the magnitudes page names the model it was generated from (regenerate with
``immunomet model magnitudes --write docs/magnitudes.md`` when the model changes)."""
from pathlib import Path

from immunomet import load_model
from immunomet.cli.model_cmd import parameter_tables

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_parameter_tables_match_the_models_data():
    assert (DOCS / "parameter_tables.md").read_text() == parameter_tables(), \
        "docs/parameter_tables.md is stale: run `immunomet model docs`"


def test_magnitudes_page_was_generated_from_the_current_model():
    text = (DOCS / "magnitudes.md").read_text()
    assert f"model hash `{load_model().hash}`" in text, \
        "docs/magnitudes.md is stale: run `immunomet model magnitudes --write docs/magnitudes.md`"

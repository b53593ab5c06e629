"""Named models. Variants are parameter sets or edits of these, never copied files."""
from ..errors import UnknownNameError
from .mouse import mouse_model
from .patient import patient_model, patient_model_from
from .variability_table import VariabilityTable, load_variability_table

MODELS = {"mouse": mouse_model, "patient": patient_model}


def load_model(name: str = "mouse"):
    """The named model (``"mouse"``: the default Toyoshima 2019 mouse model; ``"patient"``: its human variant)."""
    try:
        return MODELS[name]()
    except KeyError:
        raise UnknownNameError(f"unknown model {name!r}; available: {', '.join(MODELS)}") from None


__all__ = ["MODELS", "VariabilityTable", "load_model", "load_variability_table", "mouse_model", "patient_model",
           "patient_model_from"]

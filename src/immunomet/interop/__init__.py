"""Interoperability: SBML export (checked against libRoadRunner in the tests)."""
from .sbml import sbml_document, write_sbml

__all__ = ["sbml_document", "write_sbml"]

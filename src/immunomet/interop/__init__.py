"""Interoperability: SBML export (checked against libRoadRunner and AMICI in the tests) and PEtab
export of own-data problems."""
from .sbml import sbml_document, write_sbml

__all__ = ["sbml_document", "write_sbml"]

"""immunomet: IL-6, dendritic cells, CD8 T cells and PD-L1 in colorectal liver metastasis."""
__version__ = "0.1.0"

"""How much does IL-6 expression differ between primary colorectal tumours? The source of the
patient covariate's spread (``cohorts.patients.TUMOUR_IL6``).

Data: the TCGA COAD/READ subset shipped with the CMScaller R package (Eide et al. 2017, Sci Rep
7:16618; github.com/peterawe/CMScaller, ``data/crcTCGAsubset.rda``): RNA-seq gene counts of 92
primary tumours (TCGA Firehose, doi:10.7908/C11G0KM9). Not shipped here (GPL-3 data of another
project); download it and pass its path. Needs ``pip install rdata``.

    python scripts/tcga_il6_spread.py crcTCGAsubset.rda

Prints the SD of log10 IL6 counts per million (with a bootstrap 95% CI and two robust checks)
and the residual SD once stromal and myeloid content is regressed out (bulk IL6 is mostly made
by fibroblasts and myeloid cells, so the residual is a lower bound for the cancer cells' part).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

IL6 = "3569"  # Entrez gene IDs
STROMAL = ("1277", "2191", "7070", "5159", "1289", "1291")  # COL1A1 FAP THY1 PDGFRB COL5A1 COL6A1
MYELOID = ("929", "1436", "4332")  # CD14 CSF1R MNDA


def log10_cpm(path: str) -> tuple[np.ndarray, dict[str, int]]:
    """(genes x tumours) log10 counts per million, and each Entrez ID's row."""
    try:
        import rdata
    except ImportError:
        sys.exit("tcga_il6_spread: needs the 'rdata' package: pip install rdata")
    data = rdata.read_rda(path)["crcTCGAsubset"].assayData["exprs"]
    counts = np.asarray(data.values, dtype=float)
    rows = {str(g): i for i, g in enumerate(data.coords["dim_0"].values)}
    cpm = counts / counts.sum(axis=0) * 1e6
    with np.errstate(divide="ignore"):
        return np.log10(cpm), rows


def spread_summary(log_cpm: np.ndarray, rows: dict[str, int], *, boot: int = 10_000, seed: int = 0) -> dict:
    il6 = log_cpm[rows[IL6]]
    q1, q3 = np.percentile(il6, [25, 75])
    p5, p95 = np.percentile(il6, [5, 95])
    rng = np.random.default_rng(seed)
    draws = il6[rng.integers(0, len(il6), size=(boot, len(il6)))].std(axis=1, ddof=1)
    score = [log_cpm[[rows[g] for g in genes]].mean(axis=0) for genes in (STROMAL, MYELOID)]
    design = np.column_stack([np.ones_like(il6), *score])
    coef, *_ = np.linalg.lstsq(design, il6, rcond=None)
    residual = il6 - design @ coef
    return {
        "tumours": len(il6),
        "sd_decades": il6.std(ddof=1),
        "sd_ci95": tuple(np.percentile(draws, [2.5, 97.5])),
        "sd_from_iqr": (q3 - q1) / 1.349,
        "sd_from_5_95": (p95 - p5) / 3.29,
        "r2_stroma_myeloid": 1 - residual.var(ddof=1) / il6.var(ddof=1),
        "residual_sd_decades": residual.std(ddof=len(coef)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rda", help="path of CMScaller's data/crcTCGAsubset.rda")
    s = spread_summary(*log10_cpm(parser.parse_args(argv).rda))
    print(f"IL6 in {s['tumours']} primary colorectal tumours (TCGA, log10 CPM):")
    print(f"  SD {s['sd_decades']:.2f} decades (bootstrap 95% CI {s['sd_ci95'][0]:.2f}-{s['sd_ci95'][1]:.2f});"
          f" from the IQR {s['sd_from_iqr']:.2f}; from the 5-95% span {s['sd_from_5_95']:.2f}")
    print(f"  stromal + myeloid scores explain R2 {s['r2_stroma_myeloid']:.2f}; residual SD "
          f"{s['residual_sd_decades']:.2f} decades")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Chunks of animals as tasks on a Dask cluster (the ``dist`` extra).

``--scheduler tcp://HOST:PORT`` sends each chunk to the cluster's workers and streams the results
back as they finish; the run store writes them as they arrive. Start a cluster with
``dask scheduler`` on one machine and ``dask worker tcp://HOST:8786`` on each worker machine
(docs/scaling.md). Results are identical to a local run: every animal's numbers depend only on
its seed stream.
"""
from __future__ import annotations

from typing import Iterator

import pandas as pd

from ..errors import ImmunometError
from .plan import StudyPlan


def dask_chunks(plan: StudyPlan, chunks: list, address: str, bar) -> Iterator[tuple[object, dict[str, pd.DataFrame]]]:
    """Yield (chunk, tables) from a Dask cluster at ``address`` as tasks finish."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ImmunometError("--scheduler tcp://...: needs Dask: pip install 'immunomet[dist]'") from None
    from .runner import run_chunk

    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ImmunometError(f"--scheduler {address}: cannot reach a Dask scheduler there ({exc})") from None
    try:
        plan_future = client.scatter(plan, broadcast=True)
        futures = {client.submit(run_chunk, plan_future, c, pure=False): c for c in chunks}
        for future in as_completed(futures):
            chunk = futures[future]
            tables = future.result()
            bar.update(chunk.size)
            yield chunk, tables
    finally:
        client.close()

"""The batched cohort engine: many animals at once, each with its own parameters and doses.

Chosen by measurement (``benchmarks/engines.py``): numba-compiled kernels generated from the
model, a scipy-equivalent variable-order BDF per animal on its own clock, sparse LU planned from
the Jacobian pattern, chunks of animals spread over Python threads (the kernels release the GIL).
Same answers as the single-animal scipy path (``tests/reference/test_batch_engine.py``), per-animal
status instead of exceptions, and bit for bit the same answer for an animal whatever the thread
count or the batch it is in.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ImmunometError
from ..spec import Dose, Model
from .batch_codegen import jacobian_pattern, jacobian_plan, kernel_source
from .batch_lu import sparse_lu_plan
from .cores import threads_here
from .doses import DoseTable

STATUS = {0: "success", 1: "failed: step size too small", 2: "failed: too many steps",
          3: "failed: non-finite state"}
COMPILE_SECONDS = 10  # about this long on the 2-core development machine (docs/engines.md)


def numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


@dataclass
class BatchResult:
    """States at ``out_t`` (animals, times, species), selected rules at ``fine_t`` (animals, times,
    rules), status code and step count per animal."""

    out_t: np.ndarray
    states: np.ndarray
    fine_t: np.ndarray
    rates: np.ndarray
    status: np.ndarray
    steps: np.ndarray

    def status_text(self, a: int) -> str:
        return STATUS.get(int(self.status[a]), f"failed: code {self.status[a]}")


class BatchEngine:
    """Compiled kernels of one model structure; ``run`` integrates a batch of animals over
    ``threads`` threads (default: the calling thread's share, ``cores.threads_here()``)."""

    def __init__(self, model: Model, selected: tuple[str, ...] = ()):
        if not numba_available():
            raise ImmunometError("the batched engine needs numba (a core dependency): pip install 'numba>=0.59'")
        self.compiled = model.compile()
        self.selected = tuple(selected)
        pattern = jacobian_pattern(self.compiled)
        self._lu = sparse_lu_plan(pattern)
        self._jplan = jacobian_plan(pattern, self._lu)
        self._module = _kernel_module(kernel_source(self.compiled, self.selected, self._lu) + _template())
        self.threads: int | None = None  # None: cores.threads_here() at each run

    def run(self, params: np.ndarray, doses: DoseTable | list[list[Dose]], t_end: np.ndarray | float, out_t: np.ndarray,
            fine_t: np.ndarray | None = None, *, rtol: float = 1e-6, atol: float = 1e-9, atol_cells: float = 1e-4,
            max_steps: int = 100_000) -> BatchResult:
        """Integrate animals with parameter rows ``params`` (animals, n_params) and their doses (a
        ``DoseTable``, or one list of ``Dose`` per animal)."""
        c = self.compiled
        params = np.ascontiguousarray(params, dtype=float)
        n_anim, n_sp = params.shape[0], len(c.species_names)
        y0 = np.ascontiguousarray(c.initial_state(params.T).T)
        dose_t, dose_s, dose_a = _dose_arrays(c, doses, n_anim)
        t_end = np.broadcast_to(np.asarray(t_end, dtype=float), (n_anim,)).copy()
        t0 = np.minimum(0.0, np.nanmin(np.where(np.isfinite(dose_t), dose_t, np.inf), axis=1))
        out_t = np.ascontiguousarray(out_t, dtype=float)
        fine_t = np.ascontiguousarray(fine_t if fine_t is not None else np.zeros(0), dtype=float)
        atol_v = np.where(c.cell_species, atol_cells, atol).astype(float)
        stops, n_stops = _stops(dose_t, t0, t_end)
        out_y = np.empty((n_anim, len(out_t), n_sp))  # NaN-filled per animal by its thread
        out_r = np.empty((n_anim, len(fine_t), max(len(self.selected), 1)))
        status = np.zeros(n_anim, dtype=np.int64)
        steps = np.zeros(n_anim, dtype=np.int64)
        args = (params, y0, stops, n_stops, dose_t, dose_s, dose_a, out_t, fine_t, atol_v, float(rtol), self._jplan,
                self._lu.nnz, int(max_steps), out_y, out_r, status, steps)
        _compile_with_notice(self._module.solve_chunk, args)
        _in_threads(lambda lo, hi: self._module.solve_chunk(lo, hi, *args), n_anim,
                    self.threads or threads_here())
        return BatchResult(out_t, out_y, fine_t, out_r[:, :, : len(self.selected)], status, steps)


def _dose_arrays(compiled, doses: "DoseTable | list[list[Dose]]", n_anim: int):
    """(day, species index, amount) per animal and dose, inf-padded: a DoseTable's own arrays, or
    built from per-animal dose lists."""
    if isinstance(doses, DoseTable):
        if len(doses.day) != n_anim:
            raise ValueError(f"doses of {len(doses.day)} animals for {n_anim} animals")
        return (np.ascontiguousarray(doses.day, dtype=float), np.ascontiguousarray(doses.species, dtype=np.int64),
                np.ascontiguousarray(doses.amount, dtype=float))
    if len(doses) != n_anim:
        raise ValueError(f"{len(doses)} dose lists for {n_anim} animals")
    width = max([len(d) for d in doses] + [1])
    dose_t = np.full((n_anim, width), np.inf)
    dose_s = np.zeros((n_anim, width), dtype=np.int64)
    dose_a = np.zeros((n_anim, width))
    for a, animal in enumerate(doses):
        for k, d in enumerate(animal):
            dose_t[a, k], dose_s[a, k], dose_a[a, k] = d.day, compiled.species_index[d.species], d.amount
    return dose_t, dose_s, dose_a


def _stops(dose_t: np.ndarray, t0: np.ndarray, t_end: np.ndarray):
    """Per animal, the sorted distinct times where integration restarts (start, dose days strictly
    inside, end), padded with inf, and how many there are."""
    inside = (dose_t > t0[:, None]) & (dose_t < t_end[:, None])
    stops = np.concatenate([t0[:, None], t_end[:, None], np.where(inside, dose_t, np.inf)], axis=1)
    stops.sort(axis=1)
    stops[:, 1:][stops[:, 1:] == stops[:, :-1]] = np.inf
    stops.sort(axis=1)
    return stops, np.isfinite(stops).sum(axis=1).astype(np.int64)


def _in_threads(solve, n_anim: int, threads: int) -> None:
    """``solve(lo, hi)`` over chunks of animals, taken in turn by ``threads`` threads (small chunks
    balance the load; each animal's answer does not depend on its chunk)."""
    chunk = max(1, min(64, -(-n_anim // (8 * threads))))
    starts = range(0, n_anim, chunk)
    if threads <= 1 or len(starts) <= 1:
        return solve(0, n_anim)
    with ThreadPoolExecutor(min(threads, len(starts))) as pool:
        for _ in pool.map(lambda lo: solve(lo, min(lo + chunk, n_anim)), starts):
            pass


def _compile_with_notice(kernel, args) -> None:
    """Compile (or load from the disk cache) ``kernel`` for these argument types with an empty
    range of animals; say so on stderr when it has to compile, which happens once per model
    structure and machine."""
    if kernel.signatures:
        return
    from numba.core import event

    class Notice(event.Listener):
        def on_start(self, ev):
            if ev.data["dispatcher"] is kernel:
                folder = Path(kernel.py_func.__code__.co_filename).parent
                print(f"immunomet: compiling the batched engine for this model (one-time, ~{COMPILE_SECONDS} s; "
                      f"cached in {folder})", file=sys.stderr, flush=True)

        def on_end(self, ev):
            pass

    with event.install_listener("numba:compile", Notice()):
        kernel(0, 0, *args)


def _template() -> str:
    """The BDF kernels' source (``batch_steps.py``, then ``batch_kernels.py``) without the stubs
    that stand in for the generated functions."""
    folder = Path(__file__).parent
    texts = [(folder / name).read_text() for name in ("batch_steps.py", "batch_kernels.py")]
    return "".join("\n\n" + re.sub(r"# >>> stubs.*?# <<< stubs\n", "", text, flags=re.S) for text in texts)


_MODULES: dict[str, object] = {}


def _kernel_module(source: str):
    """Import the generated kernels from a file (so numba can cache their machine code)."""
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    if key in _MODULES:
        return _MODULES[key]
    folder = Path(os.environ.get("IMMUNOMET_CACHE", Path.home() / ".cache" / "immunomet")) / "kernels"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"kernels_{key}.py"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(f"immunomet_kernels_{key}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    _MODULES[key] = module
    return module

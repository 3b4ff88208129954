"""NMI from the sparse contingency (aobench) vs sklearn.metrics.normalized_mutual_info_score on label vectors.

Both on the same 10M (attribute, object) events; equal to 1e-9. Two aobench sides:
- from counts (what `aobench nmi` does, O(nnz)): includes building the table from the counts it already keeps.
  Target: >= 20x.
- from raw label vectors (`Contingency.from_labels`, O(n): bincount/hashing, no sort of the events), the same
  input sklearn gets. Before it was sort-bound (np.unique; 1.3x sklearn); that construction is timed too.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _events import events  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    args = ap.parse_args()
    from sklearn.metrics import normalized_mutual_info_score

    from aobench.text.stats import Contingency, information, nmi_of_counts

    attr, obj, counts = events(args.events)

    t0 = time.perf_counter()
    ours = nmi_of_counts(counts, ami=False)["nmi"]  # NMI alone (AMI's E[MI] is benchmarks/ami_speed.py's)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = normalized_mutual_info_score(attr, obj)
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    from_labels = information(Contingency.from_labels(attr, obj), ami=False)["nmi"]
    t_labels = time.perf_counter() - t0
    t0 = time.perf_counter()
    a_u, a_i = np.unique(attr, return_inverse=True)  # the sort-based construction from_labels used before
    o_u, o_i = np.unique(obj, return_inverse=True)
    cells, n = np.unique(a_i.astype(np.int64) * len(o_u) + o_i, return_counts=True)
    sorted_nmi = information(Contingency(cells // len(o_u), cells % len(o_u), n.astype(np.float64), list(map(str, a_u)), list(map(str, o_u))), ami=False)["nmi"]
    t_sorted = time.perf_counter() - t0
    for got in (ours, from_labels, sorted_nmi):
        assert abs(got - ref) < 1e-9, (got, ref)
    print(f"events={args.events} nonzero cells={len(counts.pairs)} nmi={ours:.12f} |diff|={abs(ours - ref):.2e}")
    print(f"from counts: aobench {t_ours:.3f}s  sklearn {t_ref:.3f}s  speed-up {t_ref / t_ours:.1f}x")
    print(f"from labels: aobench {t_labels:.3f}s  sklearn {t_ref:.3f}s  speed-up {t_ref / t_labels:.1f}x"
          f"  (sort-based construction {t_sorted:.3f}s: {t_ref / t_sorted:.1f}x)")


if __name__ == "__main__":
    main()

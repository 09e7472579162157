#!/usr/bin/python3
"""Reference values for rfl-lab's statistics, computed with SciPy.

Writes tests/fixtures/stats/{mannwhitneyu,summary,bootstrap}.json, which
tests/unit/statistics_test.cpp compares against lab/results/statistics.cpp.
Run with Debian's python3-scipy (the pyenv python on the dev machines has no
scipy):

    /usr/bin/python3 scripts/stats_reference.py

The inputs are fixed and generated from a seeded NumPy generator, so
re-running the script reproduces the committed fixtures byte for byte with
the same SciPy version (1.10.1 on Debian 12).
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy import stats

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "stats")


def mwu_cases():
    rng = np.random.default_rng(20261124)
    cases = [
        ("n1_each_no_tie", [1.0], [2.0]),
        ("n1_each_tie", [3.0], [3.0]),
        ("n1_vs_5", [10.0], [1.0, 2.0, 3.0, 4.0, 5.0]),
        ("all_equal_5v5", [7.0] * 5, [7.0] * 5),
        ("separated_3v3", [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
        ("separated_5v5", [1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0]),
        ("interleaved_5v5", [1.0, 3.0, 5.0, 7.0, 9.0], [2.0, 4.0, 6.0, 8.0, 10.0]),
        ("ties_small_5v5", [1.0, 2.0, 2.0, 3.0, 4.0], [2.0, 3.0, 3.0, 5.0, 6.0]),
        ("constant_sides_differ_5v5", [1.0] * 5, [1.05] * 5),
        ("exact_8v8", list(rng.normal(100, 5, 8)), list(rng.normal(104, 5, 8))),
        ("exact_8v30", list(rng.normal(100, 5, 8)), list(rng.normal(101, 5, 30))),
        ("exact_3v12", list(rng.normal(1, 0.1, 3)), list(rng.normal(1.2, 0.1, 12))),
        ("asymptotic_9v9", list(rng.normal(100, 5, 9)), list(rng.normal(103, 5, 9))),
        ("asymptotic_20v20", list(rng.normal(110e-6, 4e-6, 20)), list(rng.normal(112e-6, 4e-6, 20))),
        ("asymptotic_ties_20v20", list(np.round(rng.normal(50, 2, 20))), list(np.round(rng.normal(51, 2, 20)))),
        ("asymptotic_unequal_15v40", list(rng.exponential(1.0, 15)), list(rng.exponential(1.3, 40))),
        ("ties_across_9v12", [1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 5.0],
         [2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0, 6.0, 6.0, 7.0, 7.0]),
        ("identical_sets_10v10", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
         [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]),
    ]
    out = []
    for name, x, y in cases:
        x = [float(v) for v in x]
        y = [float(v) for v in y]
        res = stats.mannwhitneyu(x, y, alternative="two-sided", method="auto")
        chosen = stats._mannwhitneyu._mwu_choose_method(len(x), len(y), np.array(x + y), "auto")
        out.append({"name": name, "x": x, "y": y, "u1": float(res.statistic), "p": float(res.pvalue),
                    "method": chosen})
    return out


def summary_cases():
    rng = np.random.default_rng(7)
    cases = [
        ("single", [4.2]),
        ("two", [1.0, 3.0]),
        ("odd", [5.0, 1.0, 4.0, 2.0, 3.0]),
        ("even_with_ties", [2.0, 2.0, 2.0, 9.0, 1.0, 2.0]),
        ("all_equal", [0.5] * 7),
        ("random_25", list(rng.lognormal(0.0, 0.3, 25))),
        ("negative_and_zero", [-3.0, 0.0, 0.0, 2.5, -1.0, 8.0]),
    ]
    out = []
    for name, values in cases:
        values = [float(v) for v in values]
        out.append({"name": name, "values": values, "median": float(np.median(values)),
                    "mad": float(stats.median_abs_deviation(values, scale=1.0)),
                    "min": float(np.min(values)), "max": float(np.max(values))})
    return out


def bootstrap_cases():
    """Percentile bootstrap of median(variant)/median(baseline).

    SciPy's resampling stream differs from the lab's, so the test checks the
    interval endpoints within a tolerance, not exactly."""
    rng = np.random.default_rng(99)
    cases = [
        ("equal_constant", [2.0] * 10, [2.0] * 10),
        ("shift_5pct", list(rng.normal(100, 1, 20)), list(rng.normal(105, 1, 20))),
        ("noisy_no_shift", list(rng.normal(100, 3, 20)), list(rng.normal(100, 3, 20))),
        ("skewed_15v15", list(rng.lognormal(0, 0.2, 15)), list(rng.lognormal(0.1, 0.2, 15))),
    ]
    out = []
    for name, base, var in cases:
        base = [float(v) for v in base]
        var = [float(v) for v in var]

        def ratio(b, v, axis=-1):
            return np.median(v, axis=axis) / np.median(b, axis=axis)

        res = stats.bootstrap((base, var), ratio, n_resamples=20000, confidence_level=0.95,
                              method="percentile", vectorized=True, paired=False,
                              random_state=np.random.default_rng(1))
        out.append({"name": name, "baseline": base, "variant": var,
                    "ratio": float(np.median(var) / np.median(base)),
                    "lo": float(res.confidence_interval.low), "hi": float(res.confidence_interval.high)})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"generator": "scripts/stats_reference.py", "scipy": scipy.__version__, "numpy": np.__version__}
    for name, cases in (("mannwhitneyu", mwu_cases()), ("summary", summary_cases()),
                        ("bootstrap", bootstrap_cases())):
        path = os.path.join(OUT, name + ".json")
        with open(path, "w") as f:
            json.dump({"meta": meta, "cases": cases}, f, indent=1)
            f.write("\n")
        print(f"wrote {os.path.relpath(path)} ({len(cases)} cases)", file=sys.stderr)


if __name__ == "__main__":
    main()

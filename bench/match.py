"""Benchmark: one new policy against 1M firms, and every policy against 100k firms (seeded)."""

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from push.firms.size import Size  # noqa: E402
from push.matching.columnar import FirmColumns, match_columns  # noqa: E402
from push.matching.facets import compile_policy  # noqa: E402
from push.matching.matcher import evaluate  # noqa: E402
from push.matching.scope import scope_score  # noqa: E402
from push.matching.synthetic import generate_firms, generate_policies  # noqa: E402

TODAY = date(2025, 6, 1)
T = TypeVar("T")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """(result, seconds)."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Generate, match, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--policies", type=int, default=1_000)
    parser.add_argument(
        "--subset", type=int, default=100_000, help="firms for the all-policies run"
    )
    parser.add_argument("--samples", type=int, default=25, help="new policies timed one by one")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rows: list[tuple[str, str]] = []

    arrays, t = timed(lambda: generate_firms(args.firms, seed=args.seed))
    rows.append((f"generate {args.firms:,} firms (numpy, seeded)", f"{t:.2f} s"))
    cols, t = timed(arrays.columns)
    rows.append(("build columns incl. vectorised size classification", f"{t:.2f} s"))
    counts = {s: int((cols.size == i).sum()) for i, s in enumerate(Size)}
    rows.append(("size spread (large/medium/small/micro/unknown/n.c.)",
                 "/".join(f"{counts[s]:,}" for s in Size)))  # fmt: skip
    column_mb = sum(getattr(cols, f).nbytes for f in
                    ("ids", "section", "division", "group", "klass", "size", "region", "quals"))  # fmt: skip
    rows.append(("columnar arrays in memory", f"{column_mb / 2**20:.1f} MB"))

    policies = generate_policies(args.policies, seed=args.seed, today=TODAY)
    specs = [compile_policy(p, TODAY) for p in policies]
    open_specs = [s for s in specs if s.open]
    sample = open_specs[: args.samples]
    times, hits = [], []
    for spec in sample:  # each as if just published: compile + gate every firm
        policy = policies[spec.policy_id - 1]
        found, t = timed(lambda p=policy: match_columns(cols, compile_policy(p, TODAY)))
        times.append(t)
        hits.append(len(found.eligible))
    rows.append((f"1 policy vs {len(cols):,} firms: median of {len(sample)}",
                 f"{statistics.median(times) * 1000:.1f} ms"))  # fmt: skip
    rows.append(("  slowest of those", f"{max(times) * 1000:.1f} ms"))
    rows.append(("  eligible firms per policy (median)", f"{int(statistics.median(hits)):,}"))

    widest = max(sample, key=lambda s: len(match_columns(cols, s).eligible))
    shown = match_columns(cols, widest).eligible[:1000]
    profiles = [arrays.profile(int(i)) for i in shown]
    _, t = timed(lambda: scope_score("软件开发", "软件开发"))
    rows.append(("load jieba dictionary (once per process)", f"{t:.2f} s"))
    _, t = timed(lambda: [evaluate(spec=widest, profile=p) for p in profiles])
    rows.append((f"explain {len(profiles):,} matches (ORM path, per criterion)", f"{t:.2f} s"))
    records = [arrays.profile(i) for i in range(10_000)]
    _, t = timed(lambda: FirmColumns.from_records(records))
    rows.append(("build columns from 10,000 registry records", f"{t:.2f} s"))

    sub = arrays.head(min(args.subset, args.firms)).columns()
    pairs = 0

    def run_all() -> None:
        nonlocal pairs
        for policy in policies:
            pairs += len(match_columns(sub, compile_policy(policy, TODAY)).eligible)

    _, t = timed(run_all)
    rows.append((f"all {len(policies):,} policies vs {len(sub):,} firms", f"{t:.2f} s"))
    rows.append(("  eligible (policy, firm) pairs", f"{pairs:,}"))
    rows.append(("peak RSS", f"{peak_rss_mb():.0f} MB"))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}} | value")
    print(f"{'-' * width}-|-{'-' * 24}")
    for name, value in rows:
        print(f"{name:<{width}} | {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

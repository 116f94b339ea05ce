"""Benchmark: the policy calculator for one firm over every policy, and a 免申即享 list over
100,000 firms (seeded synthetic firms and facts in a temporary SQLite file). Prints its figures."""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from kb.database.db import create_schema, make_engine, session_scope  # noqa: E402
from kb.models import Policy, Status  # noqa: E402
from push.direct.service import generate  # noqa: E402
from push.facts.catalog import define  # noqa: E402
from push.facts.models import FactType, FirmFact  # noqa: E402
from push.firms.models import Firm  # noqa: E402
from push.guides.demo_guides import COUNTY_FACTS, GUIDES  # noqa: E402
from push.guides.service import calc_firm, save_guide  # noqa: E402
from push.matching.synthetic import generate_firms  # noqa: E402

YEAR = 2026
FACT_NAMES = ("equipment_investment", "revenue_growth", "rd_expense", "new_jobs", "graduate_hires",
              "tax_paid")
DIRECT = {"mode": "direct", "promised_days": 20, "rules": {"measures": [{
    "key": "jobs", "name": "吸纳就业补贴", "conditions": [{"fact": "new_jobs", "op": ">=", "value": 1}],
    "benefit": {"kind": "per_person", "fact": "new_jobs", "per": 0.15, "cap": 10}}]}}


def load_firms(engine: Engine, n: int, seed: int) -> list[int]:
    """``n`` synthetic firms and, for about 70% of them, this and last year's facts."""
    arrays = generate_firms(n, seed=seed)
    rng = np.random.default_rng(seed)
    with session_scope(engine) as session:
        rows = []
        for i in range(n):
            p = arrays.profile(i).model_dump()
            rows.append(p | {"channels": ["inbox"]})
        for start in range(0, n, 5000):
            session.execute(insert(Firm), rows[start:start + 5000])
        ids = session.exec(select(Firm.id).order_by(Firm.id)).all()
        has = rng.random(n) < 0.7
        facts = []
        for n_, firm_id in enumerate(ids):
            if not has[n_]:
                continue
            for name in FACT_NAMES:
                for year in (YEAR - 1, YEAR):
                    facts.append({"firm_id": firm_id, "name": name, "year": year, "source": "县统计局",
                                  "value": {"v": int(rng.integers(0, 3000))}, "file": "bench"})
        for start in range(0, len(facts), 10000):
            session.execute(insert(FirmFact), facts[start:start + 10000])
    return list(ids)


def main(argv: list[str] | None = None) -> int:
    """Build, time, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--policies", type=int, default=32, help="policies with a guide")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        create_schema(engine)
        start = time.perf_counter()
        ids = load_firms(engine, args.firms, args.seed)
        print(f"setup: {len(ids):,} firms with facts in {time.perf_counter() - start:.1f} s")
        guides = list(GUIDES.values())
        with session_scope(engine) as session:
            for name, label, kind in COUNTY_FACTS:
                define(session=session, name=name, label=label, type=FactType(kind))
            for i in range(args.policies):
                policy = Policy(title=f"基准政策{i}", source_key=f"bench/{i}", status=Status.PUBLISHED)
                session.add(policy)
                session.flush()
                save_guide(session=session, policy_id=policy.id, data=guides[i % len(guides)])
            direct = Policy(title="基准免申即享政策", source_key="bench/direct", status=Status.PUBLISHED)
            session.add(direct)
            session.flush()
            save_guide(session=session, policy_id=direct.id, data=DIRECT)
            direct_id = direct.id
        times = []
        with Session(engine) as session:
            firm = session.get(Firm, ids[len(ids) // 2])
            for _ in range(args.runs):
                t = time.perf_counter()
                found = calc_firm(session=session, firm=firm, year=YEAR)
                times.append((time.perf_counter() - t) * 1000)
        print(f"calculator, one firm over every policy ({len(found)} guides): "
              f"median {statistics.median(times):.1f} ms, p95 "
              f"{sorted(times)[int(0.95 * len(times)) - 1]:.1f} ms (target ≤ 20 ms)")
        with session_scope(engine) as session:
            t = time.perf_counter()
            lst = generate(session=session, policy_id=direct_id, period=str(YEAR))
            took = time.perf_counter() - t
        print(f"免申即享 list over {len(ids):,} firms: {lst.firms:,} eligible, {lst.total:,.2f} 万元, "
              f"{took:.2f} s (target ≤ 5 s)")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

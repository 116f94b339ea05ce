"""Columnar firm arrays (numpy) for matching one policy against a million firms at once."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sqlmodel import Session, select

from kb.standards.industry import IndustryCode, parse_industry_code
from push.firms.models import Firm
from push.firms.size import THRESHOLDS, TIERS, Size, SizeIndustry, resolve_size_industry
from push.matching.facets import PolicySpec

SECTIONS = "ABCDEFGHIJKLMNOPQRST"
SIZE_CODES = {s: i for i, s in enumerate(Size)}  # large=0 ... micro=3, unknown=4, not_covered=5
_SIZE_INDUSTRIES = list(SizeIndustry)
_UNKNOWN_INDUSTRY, _NOT_COVERED = -1, -2
_LEVEL = 10000  # level-tagged industry key: level * _LEVEL + value (keeps "0111" apart from "111")


class FirmRecord(Protocol):
    """What the columns read of a firm: a profile, a ``Firm`` row, or a plain row of its columns."""

    @property
    def industry_code(self) -> str | None: ...
    @property
    def employees(self) -> int | None: ...
    @property
    def revenue(self) -> float | None: ...
    @property
    def assets(self) -> float | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def qualifications(self) -> Sequence[str] | None: ...


@dataclass
class FirmColumns:
    """One array per matching attribute; row ``i`` is the firm ``ids[i]``."""

    ids: np.ndarray  # int64: database id (or row number for generated firms)
    section: np.ndarray  # int8: index into SECTIONS, -1 without an industry code
    division: np.ndarray  # int16: 2-digit division, -1 when the code is coarser
    group: np.ndarray  # int16: 3-digit group, -1 when coarser
    klass: np.ndarray  # int16: 4-digit class, -1 when coarser
    size: np.ndarray  # int8: SIZE_CODES
    region: np.ndarray  # int16: index into ``regions``, -1 when unknown
    quals: np.ndarray  # uint64 (n, words): bit j set when the firm holds qualification_names[j]
    regions: list[str]
    qualification_names: list[str]

    def __len__(self) -> int:
        """The number of firms."""
        return len(self.ids)

    @classmethod
    def from_arrays(
        cls,
        *,
        ids: np.ndarray,
        section: np.ndarray,
        division: np.ndarray,
        group: np.ndarray,
        klass: np.ndarray,
        employees: np.ndarray,
        revenue: np.ndarray,
        assets: np.ndarray,
        region: np.ndarray,
        regions: list[str],
        quals: np.ndarray,
        qualification_names: list[str],
    ) -> "FirmColumns":
        """Columns from raw arrays (NaN = missing indicator); classifies sizes vectorised."""
        size = size_codes(section, division, group, klass, employees, revenue, assets)
        return cls(
            ids=np.asarray(ids, dtype=np.int64),
            section=np.asarray(section, dtype=np.int8),
            division=np.asarray(division, dtype=np.int16),
            group=np.asarray(group, dtype=np.int16),
            klass=np.asarray(klass, dtype=np.int16),
            size=size,
            region=np.asarray(region, dtype=np.int16),
            # An empty registry has no rows to infer the word count from: one word, zero rows.
            quals=np.asarray(quals, dtype=np.uint64).reshape(len(ids), -1) if len(ids)
            else np.zeros((0, 1), dtype=np.uint64),
            regions=list(regions),
            qualification_names=list(qualification_names),
        )

    @classmethod
    def from_records(
        cls, records: Iterable[FirmRecord], ids: Sequence[int] | None = None
    ) -> "FirmColumns":
        """Columns from firm objects (database rows or profiles)."""
        records = list(records)
        n = len(records)
        no_code = (-1, -1, -1, -1)
        code_rows: list[tuple[int, int, int, int]] = []
        value_rows: list[tuple[int | None, float | None, float | None]] = []
        region_list: list[int] = []
        regions: dict[str, int] = {}
        names: dict[str, int] = {}
        held: list[list[int]] = []
        parsed: dict[str, tuple[int, int, int, int]] = {}
        for r in records:  # plain lists, one numpy conversion at the end (10x faster than slots)
            code, ints = r.industry_code, no_code
            if code:
                known = parsed.get(code)
                if known is None:
                    known = parsed[code] = _code_ints(parse_industry_code(code))
                ints = known
            code_rows.append(ints)
            value_rows.append((r.employees, r.revenue, r.assets))
            region_list.append(regions.setdefault(r.region, len(regions)) if r.region else -1)
            held.append([names.setdefault(q, len(names)) for q in r.qualifications or []])
        codes = (np.array(code_rows, dtype=np.int16).T if n
                 else np.full((4, 0), -1, dtype=np.int16))
        values = (np.array(value_rows, dtype=float).T if n else np.full((3, 0), np.nan))
        region = np.array(region_list, dtype=np.int16)
        quals = np.zeros((n, max(1, -(-len(names) // 64))), dtype=np.uint64)
        for i, bits in enumerate(held):
            for b in bits:
                quals[i, b // 64] |= np.uint64(1) << np.uint64(b % 64)
        return cls.from_arrays(
            ids=np.arange(n) if ids is None else np.asarray(ids),
            section=codes[0], division=codes[1], group=codes[2], klass=codes[3],
            employees=values[0], revenue=values[1], assets=values[2],
            region=region, regions=list(regions), quals=quals, qualification_names=list(names),
        )  # fmt: skip

    @classmethod
    def from_session(cls, session: Session) -> "FirmColumns":
        """Columns for every firm in the database."""
        # Plain rows of the columns matching reads: loading whole Firm objects costs ~10x more.
        query = select(  # type: ignore[call-overload, misc]  # sqlmodel types up to 4 columns
            Firm.id, Firm.industry_code, Firm.employees, Firm.revenue, Firm.assets, Firm.region,
            Firm.qualifications)
        firms = session.exec(query.order_by(Firm.id)).all()
        return cls.from_records(firms, ids=[f.id for f in firms])


def _code_ints(code: IndustryCode) -> tuple[int, int, int, int]:
    """(section index, division, group, class) with -1 for levels the code does not reach."""
    return (
        SECTIONS.index(code.section),
        int(code.division) if code.division else -1,
        int(code.group) if code.group else -1,
        int(code.klass) if code.klass else -1,
    )


def _key_code(key: int) -> IndustryCode | None:
    """The industry code behind a level-tagged key."""
    if key < 0:
        return None
    level, value = divmod(int(key), _LEVEL)
    if level == 0:
        return parse_industry_code(SECTIONS[value])
    return parse_industry_code(f"{value:0{level + 1}d}")


def size_codes(
    section: np.ndarray,
    division: np.ndarray,
    group: np.ndarray,
    klass: np.ndarray,
    employees: np.ndarray,
    revenue: np.ndarray,
    assets: np.ndarray,
) -> np.ndarray:
    """SIZE_CODES per firm, the vectorised twin of ``push.firms.size.classify``."""
    section, division = np.asarray(section, np.int32), np.asarray(division, np.int32)
    group, klass = np.asarray(group, np.int32), np.asarray(klass, np.int32)
    key = np.where(
        klass >= 0, 3 * _LEVEL + klass,
        np.where(group >= 0, 2 * _LEVEL + group,
                 np.where(division >= 0, _LEVEL + division, section)),
    )  # fmt: skip
    uniq, inverse = np.unique(key, return_inverse=True)
    industry_of = np.empty(len(uniq), dtype=np.int8)
    for i, k in enumerate(uniq):
        code = _key_code(k)
        outcome = resolve_size_industry(code) if code is not None else None
        if outcome is None:
            industry_of[i] = _UNKNOWN_INDUSTRY
        elif isinstance(outcome, tuple):
            industry_of[i] = _NOT_COVERED
        else:
            industry_of[i] = _SIZE_INDUSTRIES.index(outcome)
    industry = industry_of[inverse.reshape(-1)]
    out = np.full(len(key), SIZE_CODES[Size.UNKNOWN], dtype=np.int8)
    out[industry == _NOT_COVERED] = SIZE_CODES[Size.NOT_COVERED]
    values = {"X": np.asarray(employees), "Y": np.asarray(revenue), "Z": np.asarray(assets)}
    for k, size_industry in enumerate(_SIZE_INDUSTRIES):
        rows = np.flatnonzero(industry == k)
        if not len(rows):
            continue
        bounds = THRESHOLDS[size_industry]
        cols = {name: values[name][rows] for name in bounds}
        known = np.logical_and.reduce([~np.isnan(v) for v in cols.values()])
        tier = np.full(len(rows), SIZE_CODES[Size.MICRO], dtype=np.int8)
        for rank in reversed(range(len(TIERS))):  # small, medium, large: the highest met wins
            meets = np.logical_and.reduce([cols[n] >= bounds[n][rank] for n in bounds])
            tier[meets] = SIZE_CODES[TIERS[rank]]
        tier[~known] = SIZE_CODES[Size.UNKNOWN]
        out[rows] = tier
    return out


def _coarser(cols: FirmColumns, codes: tuple[IndustryCode, ...]) -> np.ndarray:
    """Firms coded coarser than one of ``codes`` and on its path (their code contains it)."""
    mask = np.zeros(len(cols), dtype=bool)
    levels: tuple[tuple[str, Callable[[IndustryCode], int | str | None]], ...] = (
        ("section", lambda c: SECTIONS.index(c.section)), ("division", lambda c: c.division),
        ("group", lambda c: c.group), ("klass", lambda c: c.klass))
    for c in codes:
        on_path = np.ones(len(cols), dtype=bool)
        for depth, (name, part) in enumerate(levels):
            value = part(c)
            if value is None or value == "":
                break
            column = getattr(cols, name)
            finer = levels[depth + 1][0] if depth + 1 < len(levels) else None
            on_path &= column == int(value)
            stops_here = (getattr(cols, finer) < 0) if finer else np.zeros(len(cols), bool)
            deeper = levels[depth + 1][1](c) if finer else None
            if deeper:  # the policy's code goes deeper: firms stopping here are coarser
                mask |= on_path & stops_here
    return mask


def _industry_mask(cols: FirmColumns, codes: tuple[IndustryCode, ...]) -> np.ndarray:
    """Firms whose code lies inside any of ``codes`` (at the code's own level)."""
    mask = np.zeros(len(cols), dtype=bool)
    for c in codes:
        if c.klass:
            mask |= cols.klass == int(c.klass)
        elif c.group:
            mask |= cols.group == int(c.group)
        elif c.division:
            mask |= cols.division == int(c.division)
        else:
            mask |= cols.section == SECTIONS.index(c.section)
    return mask


@dataclass
class ColumnarMatch:
    """Row indices of eligible firms and of near misses (exactly one firm criterion unmet)."""

    eligible: np.ndarray
    near_miss: np.ndarray


def match_columns(cols: FirmColumns, spec: PolicySpec) -> ColumnarMatch:
    """Apply a policy's hard gates to every firm at once."""
    if not spec.open:
        empty = np.empty(0, dtype=np.int64)
        return ColumnarMatch(empty, empty)
    fails = np.zeros(len(cols), dtype=np.int8)
    fixed = np.zeros(len(cols), dtype=bool)  # failing what the firm is (industry, region)
    if spec.include or spec.exclude:  # one criterion: outside the inclusions, or excluded
        outside = ~_industry_mask(cols, spec.include) if spec.include else np.zeros(len(cols), bool)
        excluded = _industry_mask(cols, spec.exclude)
        fails += outside | excluded
        # Not fixed: no code yet, or one too coarse to tell (a finer code may fit).
        fixed |= excluded | (outside & (cols.section >= 0) & ~_coarser(cols, spec.include))
    if spec.sizes:
        allowed = np.zeros(len(SIZE_CODES), dtype=bool)
        allowed[[SIZE_CODES[s] for s in spec.sizes]] = True
        fails += ~allowed[cols.size]
    if spec.regions:
        allowed = np.zeros(len(cols.regions) + 1, dtype=bool)  # the extra last slot is -1
        allowed[[i for i, r in enumerate(cols.regions) if r in spec.regions]] = True
        outside = ~allowed[cols.region]
        fails += outside
        fixed |= outside & (cols.region >= 0)  # no region yet: registering it may fit
    if spec.qualifications:
        fails += ~_has_all(cols, spec.qualifications)
    # A near miss is one criterion the firm can come to meet (Match.near_miss says the same).
    return ColumnarMatch(np.flatnonzero(fails == 0), np.flatnonzero((fails == 1) & ~fixed))


def _has_all(cols: FirmColumns, required: tuple[str, ...]) -> np.ndarray:
    """Firms holding every qualification in ``required``."""
    if any(q not in cols.qualification_names for q in required):
        return np.zeros(len(cols), dtype=bool)
    need = np.zeros(cols.quals.shape[1], dtype=np.uint64)
    for q in required:
        b = cols.qualification_names.index(q)
        need[b // 64] |= np.uint64(1) << np.uint64(b % 64)
    held: np.ndarray = np.all((cols.quals & need) == need, axis=1)  # numpy types it Any
    return held

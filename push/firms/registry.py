"""The firm registry service: look-up, upsert and CSV/JSONL import with a per-row report."""

from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from kb.errors import KBError
from kb.inputs.rows import read_rows, row_format
from kb.models import utcnow
from push.errors import FirmNotFound
from push.firms.models import Firm, FirmCreate
from push.firms.uscc import normalize_uscc

# Chinese column headers accepted in place of the field names.
HEADER_ALIASES = {
    "统一社会信用代码": "uscc", "信用代码": "uscc", "企业名称": "name", "名称": "name",
    "行业代码": "industry_code", "从业人员": "employees", "从业人数": "employees",
    "营业收入": "revenue", "资产总额": "assets", "镇街": "region", "所属镇街": "region",
    "区域": "region", "资质": "qualifications", "经营范围": "business_scope",
    "联系人": "contact_name", "联系邮箱": "contact_email", "邮箱": "contact_email",
    "联系电话": "contact_phone", "电话": "contact_phone", "推送渠道": "channels",
    "渠道": "channels",
}  # fmt: skip
FIELDS = set(FirmCreate.model_fields)


@dataclass
class RowError:
    """Why one row was not saved; ``line`` is the 1-based line in the file."""

    line: int
    uscc: str | None
    message: str


@dataclass
class ImportReport:
    """The outcome of an import: good rows are saved even when others fail."""

    path: str
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every row was saved."""
        return not self.errors

    def to_dict(self) -> dict:
        """The JSON shape printed by ``policykb firms import --json``."""
        return {**asdict(self), "failed": len(self.errors)}


def get_firm(*, session: Session, uscc: str) -> Firm:
    """The firm registered under ``uscc``; raises ``FirmNotFound``."""
    code = normalize_uscc(uscc)
    firm = session.exec(select(Firm).where(Firm.uscc == code)).first()
    if firm is None:
        raise FirmNotFound(f"没有统一社会信用代码为{code}的企业")
    return firm


def upsert_firm(*, session: Session, data: FirmCreate) -> tuple[Firm, bool]:
    """Create the firm, or update the fields ``data`` sets; returns it and whether it is new."""
    firm = session.exec(select(Firm).where(Firm.uscc == data.uscc)).first()
    if firm is None:
        firm = Firm.model_validate(data)
        session.add(firm)
        session.flush()
        return firm, True
    firm.sqlmodel_update(data.model_dump(exclude_unset=True))
    firm.updated_at = utcnow()
    session.add(firm)
    session.flush()
    return firm, False


def _validation_message(exc: ValidationError) -> str:
    """One line naming each bad field."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "行"
        parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return "；".join(parts)


def import_firms(*, session: Session, path: str | Path, fmt: str | None = None) -> ImportReport:
    """Import firms from CSV or JSONL; each row is all-or-nothing in its own SAVEPOINT."""
    path = Path(path)
    fmt = row_format(path, fmt)
    report = ImportReport(path=str(path))
    ignored: set[str] = set()
    for line, row in read_rows(path, fmt):
        if isinstance(row, str):
            report.errors.append(RowError(line, None, row))
            continue
        data = {}
        for key, value in row.items():
            name = HEADER_ALIASES.get(str(key).strip(), str(key).strip())
            if name in FIELDS:
                data[name] = value
            else:
                ignored.add(str(key))
        uscc = str(data.get("uscc") or "").strip() or None
        try:
            firm = FirmCreate.model_validate(data)
        except ValidationError as exc:
            report.errors.append(RowError(line, uscc, _validation_message(exc)))
            continue
        try:
            with session.begin_nested():
                _, created = upsert_firm(session=session, data=firm)
        except (SQLAlchemyError, KBError) as exc:
            report.errors.append(RowError(line, firm.uscc, f"保存失败：{exc}"))
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1
    report.ignored_columns = sorted(ignored)
    return report

"""Ingestion: documents and JSONL records become policies, interpretations, FAQ and passages."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from kb.database.db import key
from kb.errors import IngestError
from kb.events import EventKind, PolicyEvent, emit
from kb.library.extract import extract_header
from kb.library.fields import BULK_NAMES, CHANGE_LABELS, MAX_TITLE
from kb.library.index_state import bump_version, mark_changed
from kb.library.limits import DEFAULT_LIMITS, IngestLimits
from kb.library.passages import rebuild_passages
from kb.library.readers import DOCUMENT_SUFFIXES, JSONL_SUFFIXES, decode, read_document
from kb.library.schemas import InterpretationRecord, PolicyRecord, infer_audience
from kb.library.versions import record_version
from kb.models import (
    ContentKind,
    Department,
    FaqItem,
    Interpretation,
    Passage,
    Policy,
    Revision,
    Status,
    utcnow,
)


@dataclass
class Item:
    """A record ready to write, with where it came from (for messages) and its identity."""

    record: PolicyRecord
    origin: str
    source_key: str


@dataclass
class IngestReport:
    """What an ingestion did, per policy."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    passages: int = 0

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.created or self.updated)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named, and supported files inside named folders (sorted, so runs are repeatable)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*")
                          if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES | JSONL_SUFFIXES)
        elif path.exists():
            out.append(path)
        else:
            raise IngestError(str(path), "no such file or folder")
    return out


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]


def load_jsonl(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> list[Item]:
    """Parse and validate every line of a JSONL file; the first bad line raises, naming file and line."""
    limits.check_file(path)
    try:
        text = decode(path.read_bytes(), path)
    except OSError as exc:
        raise IngestError(str(path), f"cannot be read: {exc.strerror or exc}") from exc
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line) > limits.max_line_chars:
            raise IngestError(str(path), f"the line is too long ({len(line)} characters; at most "
                              f"{limits.max_line_chars}, KB_INGEST_MAX_LINE_CHARS)", number)
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(str(path), f"malformed JSON ({exc.msg}, column {exc.colno})", number) from exc
        if not isinstance(data, dict):
            raise IngestError(str(path), "each line must be a JSON object", number)
        try:
            record = PolicyRecord.model_validate(data)
        except ValidationError as exc:
            raise IngestError(str(path), _first_error(exc), number) from exc
        if record.title is None:
            record.title = (extract_header(record.text).title or (record.id or "未命名文件"))[:MAX_TITLE]
        key = f"id:{record.id}" if record.id else _derived_key(record, f"{path.resolve()}:{number}")
        items.append(Item(record, f"{path}:{number}", key))
    if not items:
        raise IngestError(str(path), "the file holds no records")
    return items


def _derived_key(record: PolicyRecord, location: str) -> str:
    # A 文号 identifies a document wherever its file lives; without one, the file itself does.
    return f"doc:{record.doc_number}" if record.doc_number else f"file:{location}"


def load_document(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> Item:
    """A document file as a record, with title, 文号, issuer and date read from its text."""
    doc = read_document(path, limits)
    header = extract_header(doc.text)
    try:
        record = PolicyRecord(
            title=(header.title or doc.title_hint or path.stem)[:MAX_TITLE], text=doc.text,
            doc_number=header.doc_number, issuer=header.issuer, issue_date=header.issue_date,
        )
    except ValidationError as exc:
        raise IngestError(str(path), _first_error(exc)) from exc
    return Item(record, str(path), _derived_key(record, str(path.resolve())))


def load_items(paths: Iterable[Path], limits: IngestLimits = DEFAULT_LIMITS) -> list[Item]:
    """Read and validate everything first, so that bad input writes nothing."""
    items: list[Item] = []
    for path in expand_paths(paths):
        if path.suffix.lower() in JSONL_SUFFIXES:
            items += load_jsonl(path, limits)
        else:
            items.append(load_document(path, limits))
    keys: dict[str, str] = {}
    for item in items:
        if item.source_key in keys:
            raise IngestError(item.origin, f"duplicate policy id; first seen at {keys[item.source_key]}")
        keys[item.source_key] = item.origin
    return items


def _department(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    dept = session.exec(select(Department).where(Department.name == name)).first()
    if dept is None:
        dept = Department(name=name)
        session.add(dept)
        session.flush()
    return dept.id


def _fingerprint(record: PolicyRecord) -> str:
    return hashlib.sha256(record.model_dump_json().encode()).hexdigest()


def _changes(policy: Policy, record: PolicyRecord, old_interpretations: list[dict]) -> list[str]:
    labels: list[str] = []
    for name, label in CHANGE_LABELS.items():
        if name == "full_text":  # a bulk record's ``text``, compared with the text as written
            changed = record.text != (policy.source_text or policy.full_text)
        else:
            changed = getattr(policy, name) != getattr(record, name)
        if changed and label not in labels:
            labels.append(label)
    if old_interpretations != [r.model_dump() for r in record.interpretations]:
        labels.append("政策解读")
    return labels


def _interpretation_records(session: Session, policy_id: int) -> list[dict]:
    authored = _authored(session, ContentKind.INTERPRETATION, policy_id)
    rows = [i for i in session.exec(select(Interpretation).where(
        Interpretation.policy_id == policy_id, Interpretation.status == Status.PUBLISHED)
        .order_by(col(Interpretation.id))) if i.id not in authored]
    return [InterpretationRecord(
        title=i.title, background=i.background, purpose=i.purpose, measures=i.measures,
        sections=i.sections, drafter=i.drafter, reviewer=i.reviewer, publisher=i.publisher,
    ).model_dump() for i in rows]


def write_policy(*, session: Session, item: Item,
                 limits: IngestLimits = DEFAULT_LIMITS) -> tuple[Policy, str]:
    """Create or update one policy with its interpretations, FAQ and passages; returns the action."""
    record, digest = item.record, _fingerprint(item.record)
    policy = session.exec(select(Policy).where(Policy.source_key == item.source_key)).first()
    if policy is not None and policy.content_hash == digest:
        return policy, "unchanged"
    action = "created" if policy is None else "updated"
    event: tuple[EventKind, list[str]]
    if policy is None:
        policy = Policy(source_key=item.source_key, title=record.title or "")
        event = EventKind.PUBLISHED, []
    else:
        policy.version += 1
        event = EventKind.REVISED, _changes(
            policy, record, _interpretation_records(session, key(policy)))
    for name in BULK_NAMES:
        setattr(policy, name, getattr(record, name))
    policy.audience = record.audience or infer_audience(policy.title)
    policy.department_id = _department(session, record.department)
    policy.content_hash = digest
    policy.status = Status.PUBLISHED
    policy.updated_at = utcnow()
    policy.source_text = policy.full_text = record.text
    session.add(policy)
    session.flush()
    _write_interpretations(session, key(policy), record.interpretations)
    _write_faq(session, key(policy), record.faq)
    passages = rebuild_passages(session=session, policy=policy)
    if passages > limits.max_passages:  # the caller's session rolls the whole batch back
        raise IngestError(item.origin, f"the document is cut into {passages} passages (at most "
                          f"{limits.max_passages}, KB_INGEST_MAX_PASSAGES); split it")
    record_version(session=session, policy=policy, published_by=IMPORTER,
                   summary="批量导入" if action == "created" else "批量导入（更新）")
    _pending(session).append(PolicyEvent(kind=event[0], policy_id=key(policy),
                                         version=policy.version, changes=event[1]))
    return policy, action


# Bulk files are signed off outside PolicyKB; versions they make name the import as publisher.
IMPORTER = "批量导入"


def _authored(session: Session, kind: ContentKind, policy_id: int) -> set[int]:
    """Records a department wrote through sign-off: a bulk file neither overwrites nor withdraws them."""
    found = session.exec(select(Revision.record_id).where(
        Revision.kind == kind, Revision.policy_id == policy_id,
        col(Revision.record_id).is_not(None))).all()
    return {record_id for record_id in found if record_id is not None}


def _write_interpretations(session: Session, policy_id: int,
                           records: list[InterpretationRecord]) -> None:
    """The file's interpretations, in order, over the existing rows (ids stay, so links hold)."""
    authored = _authored(session, ContentKind.INTERPRETATION, policy_id)
    rows = [i for i in session.exec(select(Interpretation).where(
        Interpretation.policy_id == policy_id).order_by(col(Interpretation.id))) if i.id not in authored]
    for n, rec in enumerate(records):
        interp = rows[n] if n < len(rows) else Interpretation(policy_id=policy_id)
        interp.title, interp.background, interp.purpose = rec.title, rec.background, rec.purpose
        interp.measures, interp.sections = rec.measures, [s.model_dump() for s in rec.sections]
        interp.drafter, interp.reviewer, interp.publisher = rec.drafter, rec.reviewer, rec.publisher
        interp.status, interp.published_at = Status.PUBLISHED, interp.published_at or utcnow()
        interp.updated_at = utcnow()
        session.add(interp)
    for interp in rows[len(records):]:
        interp.status = Status.WITHDRAWN
        session.add(interp)
    session.flush()


def _write_faq(session: Session, policy_id: int, records: list) -> None:
    """The file's FAQ over the existing rows, matched by question (ids stay for ledger links)."""
    authored = _authored(session, ContentKind.FAQ, policy_id)
    rows = {f.question: f for f in session.exec(select(FaqItem).where(FaqItem.policy_id == policy_id))
            if f.id not in authored}
    keep = set()
    for n, rec in enumerate(records):
        faq = rows.get(rec.question) or FaqItem(policy_id=policy_id, question=rec.question,
                                                answer=rec.answer)
        faq.answer, faq.ordinal, faq.status = rec.answer, n, Status.PUBLISHED
        faq.published_at = faq.published_at or utcnow()
        session.add(faq)
        keep.add(rec.question)
    for question, faq in rows.items():
        if question not in keep:
            faq.status = Status.WITHDRAWN
            session.add(faq)
    session.flush()


def _pending(session: Session) -> list[PolicyEvent]:
    # Events wait until the whole batch is written, so a listener sees successors and links.
    return session.info.setdefault("kb_pending_events", [])


def _link_supersessions(session: Session, items: list[Item]) -> None:
    for item in items:
        target = item.record.superseded_by
        if not target:
            continue
        newer = session.exec(select(Policy).where(Policy.source_key == f"id:{target}")).first()
        if newer is None:
            raise IngestError(item.origin, f"superseded_by names unknown policy id {target!r}")
        policy = session.exec(select(Policy).where(Policy.source_key == item.source_key)).one()
        if policy.superseded_by_id != newer.id:
            policy.superseded_by_id = newer.id
            session.add(policy)
            mark_changed(session, policy.id)  # its hits now cite the successor
            _pending(session).append(PolicyEvent(
                kind=EventKind.SUPERSEDED, policy_id=key(policy), version=policy.version,
                changes=["已被新政策替代"], successor_id=newer.id))


def ingest_items(*, session: Session, items: list[Item],
                 limits: IngestLimits = DEFAULT_LIMITS) -> IngestReport:
    """Write validated items; the caller's session commits once, or rolls everything back."""
    report = IngestReport()
    for item in items:
        policy, action = write_policy(session=session, item=item, limits=limits)
        getattr(report, action).append(policy.title)
    _link_supersessions(session, items)
    session.flush()
    for event in session.info.pop("kb_pending_events", []):
        emit(session=session, event=event)
    report.passages = session.exec(select(func.count(col(Passage.id)))).one()
    if report.changed:
        bump_version(session=session)
    return report


def ingest_paths(*, session: Session, paths: Iterable[Path],
                 limits: IngestLimits = DEFAULT_LIMITS) -> IngestReport:
    """Ingest files and folders: all are read and validated before anything is written."""
    return ingest_items(session=session, items=load_items(paths, limits), limits=limits)

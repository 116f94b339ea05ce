"""Making content live: apply a revision, withdraw a record, roll back; every change keeps a version."""

import uuid

from sqlmodel import Session, func, select

from kb import plugins
from kb.authoring import kinds
from kb.database.db import get_or_missing, key
from kb.errors import Conflict, NotFound, PolicyNotFound
from kb.events import EventKind, PolicyEvent, emit
from kb.library.fields import CHANGE_LABELS
from kb.library.index_state import bump_version
from kb.library.passages import rebuild_passages
from kb.library.versions import (
    apply_policy_fields,
    faq_fields,
    get_version,
    interpretation_fields,
    policy_fields,
    record_version,
    restore,
    snapshot,
)
from kb.models import (
    ContentKind,
    FaqItem,
    Interpretation,
    Policy,
    PolicyVersion,
    Revision,
    Status,
    utcnow,
)
from kb.staff import audit
from kb.staff.audit import Actor

# Fields of a record that say who signed it off; they change with every publish, not the content.
SIGNOFF = ("drafter", "reviewer", "publisher")
MODELS: dict[str, type[Interpretation] | type[FaqItem]] = {
    ContentKind.INTERPRETATION: Interpretation, ContentKind.FAQ: FaqItem}


def live_record(*, session: Session, kind: str, record_id: int) -> Policy | Interpretation | FaqItem:
    """The live record a revision edits, or NotFound."""
    model: type[Policy] | type[Interpretation] | type[FaqItem] | None = (
        Policy if kind == ContentKind.POLICY else MODELS.get(kind))
    if model is None:  # a plugged-in kind (申兑指南) is replaced by publishing a new draft
        raise NotFound(f"{kinds.label(kind)}没有可直接修改或撤回的记录，请起草新版本")
    return get_or_missing(session, model, record_id, f"没有编号为 {record_id} 的记录")


def content_of(record: Policy | Interpretation | FaqItem) -> dict:
    """A live record's content in draft form (no ids, no sign-off names)."""
    if isinstance(record, Policy):
        fields = policy_fields(record)
        for name in (*SIGNOFF, "department_id"):
            fields.pop(name)
        return fields
    fields = interpretation_fields(record) if isinstance(record, Interpretation) else faq_fields(record)
    for name in (*SIGNOFF, "id", "ordinal"):
        fields.pop(name, None)
    return fields


def _policy(session: Session, policy_id: int | None) -> Policy:
    return get_or_missing(session, Policy, policy_id or None, f"没有编号为 {policy_id} 的政策",
                          error=PolicyNotFound)


def _changes(old: dict, new: dict) -> list[str]:
    labels: list[str] = []
    for name, label in CHANGE_LABELS.items():
        if old.get(name) != new.get(name) and label not in labels:
            labels.append(label)
    return labels


def publish_revision(*, session: Session, revision: Revision, names: dict[str, str],
                     actor: Actor) -> PolicyVersion:
    """Apply an approved revision to the live records and publish the policy's new version."""
    events: list[PolicyEvent] = []
    record: Interpretation | FaqItem | None = None  # the item published, whose ledger closes
    handler = plugins.content_kind(revision.kind) if revision.kind not in (
        ContentKind.POLICY, *MODELS) else None
    if handler is not None:
        policy = _policy(session, revision.policy_id)
        if policy.status != Status.PUBLISHED:
            raise Conflict(f"所属政策尚未发布或已撤回，不能发布其{kinds.label(revision.kind)}")
        revision.record_id = handler.publish(session=session, revision=revision, names=names)
        policy.version += 1
        summary = f"发布{kinds.label(revision.kind)}：{revision.label}"
    elif revision.kind == ContentKind.POLICY:
        policy, summary = _publish_policy(session, revision, names, events)
    else:
        policy = _policy(session, revision.policy_id)
        if policy.status != Status.PUBLISHED:
            raise Conflict("所属政策尚未发布或已撤回，不能发布其解读或问答")
        record = _publish_item(session, revision, names, policy)
        revision.record_id = record.id
        policy.version += 1
        what = "政策解读" if revision.kind == ContentKind.INTERPRETATION else "常见问题"
        summary = f"发布{what}：{revision.label}"
        if revision.kind == ContentKind.INTERPRETATION:  # firms told earlier hear of it
            events.append(PolicyEvent(EventKind.REVISED, key(policy), policy.version, ["政策解读"]))
    policy.updated_at = utcnow()
    session.add(policy)
    version = _finish(session, policy, summary, actor.name, events, revision_id=revision.id)
    if record is not None:  # an interpretation or FAQ item (kinds kb defines)
        _close_ledger(session, revision, record, policy, actor)
    return version


def _publish_policy(session: Session, revision: Revision, names: dict[str, str],
                    events: list[PolicyEvent]) -> tuple[Policy, str]:
    data = revision.data
    successor = data.get("superseded_by_id")
    if successor is not None:
        newer = session.get(Policy, successor)
        if newer is None or newer.status != Status.PUBLISHED or newer.id == revision.record_id:
            raise Conflict(f"“被替代为”所指的政策 {successor} 不存在或未发布")
    if revision.record_id is None:
        policy = Policy(source_key=f"authored:{uuid.uuid4().hex}", title=data["title"],
                        department_id=revision.department_id, version=1)
        old: dict | None = None
    else:
        policy = _policy(session, revision.record_id)
        old = content_of(policy)
        _refuse_stale(revision, old)
        policy.version += 1
    apply_policy_fields(policy, data | names)
    policy.status = Status.PUBLISHED
    session.add(policy)
    session.flush()
    revision.record_id, revision.policy_id = policy.id, policy.id
    if old is None:
        events.append(PolicyEvent(EventKind.PUBLISHED, key(policy), policy.version))
        return policy, f"发布政策：{policy.title}"
    events.append(PolicyEvent(EventKind.REVISED, key(policy), policy.version, _changes(old, data)))
    if successor is not None and old.get("superseded_by_id") != successor:
        events.append(PolicyEvent(EventKind.SUPERSEDED, key(policy), policy.version,
                                  ["已被新政策替代"], successor_id=successor))
    return policy, f"修改政策：{policy.title}"


def _refuse_stale(revision: Revision, current: dict) -> None:
    if revision.base is not None and revision.base != current:
        raise Conflict("该记录在起草之后已有新版本发布，请退回拟稿人基于最新版本修改后重新提交")


def _publish_item(session: Session, revision: Revision, names: dict[str, str],
                  policy: Policy) -> Interpretation | FaqItem:
    model = MODELS[revision.kind]
    record: Interpretation | FaqItem
    if revision.record_id is None and model is FaqItem:
        last = session.exec(select(func.max(FaqItem.ordinal))
                            .where(FaqItem.policy_id == policy.id)).one()
        record = FaqItem(policy_id=key(policy), question="", answer="", ordinal=(last or 0) + 1)
    elif revision.record_id is None:
        record = Interpretation(policy_id=key(policy))
    else:  # as live_record finds it, typed as the item it is
        record = get_or_missing(session, model, revision.record_id,
                                f"没有编号为 {revision.record_id} 的记录")
        _refuse_stale(revision, content_of(record))
    for name, value in (revision.data | names).items():
        setattr(record, name, value)
    record.status = Status.PUBLISHED
    record.published_at = utcnow()
    if isinstance(record, Interpretation):
        record.updated_at = utcnow()
    session.add(record)
    session.flush()
    return record


def _close_ledger(session: Session, revision: Revision, record: Interpretation | FaqItem,
                  policy: Policy, actor: Actor) -> None:
    from kb.feedback.ledger import close_for_publication
    from kb.feedback.models import LedgerTopic

    question = revision.data.get("question") or revision.data.get("title") or revision.label
    topic_id = revision.topic_id
    topic = session.get(LedgerTopic, topic_id) if topic_id is not None else None
    if topic is not None and topic.department_id not in (None, revision.department_id):
        topic_id = None  # reassigned to another department meanwhile: not this draft's to close
    close_for_publication(session=session, actor=actor, kind=str(revision.kind),
                          record_id=key(record), policy_id=key(policy),
                          question_text=question, topic_id=topic_id,
                          department_id=revision.department_id)


def _finish(session: Session, policy: Policy, summary: str, by: str, events: list[PolicyEvent],
            *, revision_id: int | None = None) -> PolicyVersion:
    """Passages, version, index and listeners, in this transaction."""
    rebuild_passages(session=session, policy=policy)
    version = record_version(session=session, policy=policy, summary=summary, published_by=by,
                             revision_id=revision_id)
    bump_version(session=session)
    for event in events:
        emit(session=session, event=event)
    return version


def withdraw(*, session: Session, kind: str, record_id: int, actor: Actor,
             reason: str) -> PolicyVersion:
    """Take a published record off the site and out of search (the policy keeps its history)."""
    record = live_record(session=session, kind=kind, record_id=record_id)
    if record.status != Status.PUBLISHED:
        raise Conflict("该记录当前未发布")
    record.status = Status.WITHDRAWN
    session.add(record)
    policy = record if isinstance(record, Policy) else _policy(session, record.policy_id)
    policy.version += 1
    policy.updated_at = utcnow()
    session.add(policy)
    if isinstance(record, Policy):
        # Kept as a version too, so a publisher can bring it back by rolling back to the one before.
        version = _finish(session, policy, f"撤回政策：{reason}"[:300], actor.name,
                          [PolicyEvent(EventKind.WITHDRAWN, key(policy), policy.version,
                                       ["政策已撤回"])])
        audit.record(session=session, actor=actor, action="policy.withdraw", record_kind="policy",
                     record_id=policy.id, detail={"reason": reason, "version": policy.version})
        return version
    label = "政策解读" if isinstance(record, Interpretation) else "常见问题"
    version = _finish(session, policy, f"撤回{label}：{reason}"[:300], actor.name, [])
    audit.record(session=session, actor=actor, action=f"{kind}.withdraw",
                 record_kind=str(kind), record_id=record_id,
                 detail={"reason": reason, "policy_id": policy.id, "version": policy.version})
    return version


def _content(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in item.items() if k not in ("id", *SIGNOFF)} for item in items]


def rollback(*, session: Session, policy_id: int, to_version: int, actor: Actor) -> PolicyVersion:
    """Publish an earlier version's content again, as a new version (history is never rewritten)."""
    policy = _policy(session, policy_id)
    target = get_version(session=session, policy_id=policy_id, version=to_version)
    if to_version == policy.version:
        raise Conflict(f"第 {to_version} 版就是当前版本")
    before = snapshot(session=session, policy=policy)
    restore(session=session, policy=policy, snap=target.snapshot)
    policy.version += 1
    after = snapshot(session=session, policy=policy)
    changes = _changes(before["policy"], after["policy"])
    if _content(before["interpretations"]) != _content(after["interpretations"]):
        changes.append("政策解读")
    version = _finish(session, policy, f"回退到第 {to_version} 版", actor.name,
                      [PolicyEvent(EventKind.REVISED, key(policy), policy.version, changes)])
    audit.record(session=session, actor=actor, action="policy.rollback", record_kind="policy",
                 record_id=policy.id, detail={"to_version": to_version, "new_version": policy.version})
    return version

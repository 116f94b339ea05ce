"""Staff pages for sign-off: the work queue, one revision with its diff and quality check, history."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, select
from starlette.datastructures import FormData

from kb.authoring import workflow
from kb.authoring.compare import comparable, other_revision
from kb.authoring.diff import field_diffs, snapshot_diff
from kb.authoring.drafts import FIELD_LABELS
from kb.authoring.publishing import content_of, live_record
from kb.authoring.quality import assess
from kb.clock import local_time
from kb.database.db import get_or_missing, key
from kb.errors import InvalidInput, NotFound
from kb.inputs.ids import parse_id
from kb.library.versions import list_versions
from kb.models import ContentKind, Department, Policy, Revision, Status
from kb.staff.models import Role, User
from push.settings import push_settings
from web.auth import require_role, verify_csrf
from web.deps import SessionDep, SettingsDep, TemplatesDep
from web.forms import FORMS, draft_data, form_kind, posted_form, shown
from web.routes.admin_content import render, staff

PostedForm = Annotated[FormData, Depends(posted_form)]

router = APIRouter(prefix="/admin", include_in_schema=False)
Writer = Annotated[User, Depends(require_role(Role.DRAFTER, Role.REVIEWER, Role.PUBLISHER,
                                              Role.ADMIN))]
Publisher = Annotated[User, Depends(require_role(Role.PUBLISHER))]
# Each takes session, staff and revision_id; approve and return also a comment.
ACTIONS: dict[str, Callable[..., object]] = {
    "submit": workflow.submit, "approve": workflow.approve, "return": workflow.send_back,
    "publish": workflow.publish, "discard": workflow.discard}
DONE = {"create": "草稿已保存。", "edit": "修改已保存。", "submit": "已提交审核。",
        "approve": "已审核通过，等待发布。", "return": "已退回拟稿人。",
        "publish": "已发布：网站、检索和推送已同步更新。", "discard": "草稿已撤销。"}


@router.get("/review", response_class=HTMLResponse)
def review_queue(request: Request, session: SessionDep, user: Writer, settings: SettingsDep,
                 templates: TemplatesDep) -> HTMLResponse:
    """What waits for this user: drafts returned to them, reviews, publications."""
    from kb.clock import county_today
    from push.guides.overdue import overdue_guides

    late = overdue_guides(session=session, today=county_today(),
                          days=push_settings(settings).guide_due_days,
                          department_id=None if user.has(Role.ADMIN) else user.department_id)
    return render(request, templates, "admin_review.html", {
        "q": workflow.queue(session=session, user=user), "overdue_guides": late})


def _revision(session: Session, user: User, revision_id: int) -> Revision:
    rev = workflow.get_revision(session=session, revision_id=revision_id)
    workflow.require_department(session, user, rev.department_id)
    return rev


def _current(session: Session, rev: Revision) -> dict | None:
    if rev.record_id is None or rev.status == Status.PUBLISHED:
        return rev.base  # what it replaced, once published
    return content_of(live_record(session=session, kind=rev.kind, record_id=rev.record_id))


GUIDE_LABELS = {"title": "标题", "mode": "兑现方式", "promised_days": "承诺工作日",
                "beneficiaries": "惠及对象", "materials": "申报材料", "where": "受理地点",
                "phone": "咨询电话", "rules": "申兑规则"}


def _labels(kind: str) -> dict[str, str]:
    if kind not in FORMS:  # a 申兑指南 is drafted as JSON (CLI or API); shown field by field
        return GUIDE_LABELS
    names = [f.name for f in FORMS[ContentKind(kind)]] + (
        ["sections"] if kind == ContentKind.INTERPRETATION else [])
    return {n: FIELD_LABELS[n] for n in names}


@router.get("/revisions/{revision_id}", response_class=HTMLResponse)
def revision_page(request: Request, session: SessionDep, user: Writer, templates: TemplatesDep,
                  revision_id: int, against: str = "") -> HTMLResponse:
    """A revision: its diff against the published record (or, with ``against``, another
    revision of the same record), the quality check, the steps so far."""
    rev = _revision(session, user, revision_id)
    other = None
    if against.strip():
        other_id = parse_id(against.strip())
        if other_id is None:
            raise InvalidInput(f"对比的稿件编号应为整数，收到“{against}”")
        other = other_revision(session=session, revision=rev, other_id=other_id)
    policy = session.get(Policy, rev.policy_id) if rev.policy_id else None
    quality = None
    if rev.kind == ContentKind.INTERPRETATION and policy is not None:
        d = rev.data
        quality = assess(background=d.get("background", ""), purpose=d.get("purpose", ""),
                         measures=d.get("measures", ""), sections=d.get("sections", []),
                         policy_text=policy.source_text or policy.full_text)
    current = _current(session, rev)
    return render(request, templates, "admin_revision.html", {
        "rev": rev, "policy": policy, "quality": quality,
        "diffs": field_diffs(other.data if other else current, rev.data, _labels(rev.kind)),
        "against": other, "comparable": comparable(session=session, revision=rev),
        "stale": rev.base is not None and current is not None and rev.status != Status.PUBLISHED
        and current != rev.base,
        "steps": [(local_time(datetime.fromisoformat(h["at"])), h) for h in rev.history],
        "own": user.id in workflow.contributors(rev),
        "actions": workflow.allowed_actions(session=session, user=user, revision=rev),
        "has_form": rev.kind in FORMS,  # a 申兑指南 is changed by drafting its JSON again
        "done": DONE.get(
            request.query_params.get("done", ""))})


@router.get("/revisions/{revision_id}/edit", response_class=HTMLResponse)
def revision_edit(request: Request, session: SessionDep, user: Writer, templates: TemplatesDep,
                  revision_id: int) -> HTMLResponse:
    """The draft form filled with the revision's content, for those who may change it now."""
    rev = _revision(session, user, revision_id)
    workflow.check(session=session, user=user, revision=rev, action="edit")
    kind = form_kind(rev.kind)
    policy = session.get(Policy, rev.policy_id) if rev.policy_id else None
    return render(request, templates, "admin_form.html", {
        "kind": kind, "fields": FORMS[kind], "values": shown(kind, rev.data),
        "action": f"/admin/revisions/{rev.id}/edit", "title": f"修改草稿：{rev.label}",
        "policy": policy, "error": None, "topic_id": rev.topic_id, "choices": [], "rev": rev})


@router.post("/revisions/{revision_id}/edit", dependencies=[Depends(verify_csrf)])
def revision_edit_post(request: Request, form: PostedForm, session: SessionDep, user: Writer,
                       templates: TemplatesDep, revision_id: int) -> Response:
    """Save changes to a draft; invalid input comes back in the form, nothing lost."""
    rev = _revision(session, user, revision_id)
    kind = form_kind(rev.kind)
    data = draft_data(kind, form)
    try:
        workflow.edit(session=session, staff=staff(request, user), revision_id=key(rev), data=data)
    except InvalidInput as exc:
        policy = session.get(Policy, rev.policy_id) if rev.policy_id else None
        return render(request, templates, "admin_form.html", {
            "kind": kind, "fields": FORMS[kind], "values": shown(kind, data),
            "action": f"/admin/revisions/{rev.id}/edit", "title": f"修改草稿：{rev.label}",
            "policy": policy, "error": exc.message, "topic_id": rev.topic_id, "choices": [],
            "rev": rev}, 422)
    return RedirectResponse(f"/admin/revisions/{rev.id}?done=edit", status_code=303)


@router.post("/revisions/{revision_id}/{action}", dependencies=[Depends(verify_csrf)])
def revision_action(request: Request, form: PostedForm, session: SessionDep, user: Writer,
                    revision_id: int, action: str) -> Response:
    """Submit, approve, return (with a comment), publish or discard a revision."""
    if action not in ACTIONS:
        raise NotFound(f"未知的操作“{action}”")
    _revision(session, user, revision_id)
    kwargs = {"comment": str(form.get("comment") or "")} if action in ("approve", "return") else {}
    ACTIONS[action](session=session, staff=staff(request, user), revision_id=revision_id, **kwargs)
    return RedirectResponse(f"/admin/revisions/{revision_id}?done={action}", status_code=303)


@router.get("/content/policies/{policy_id}/history", response_class=HTMLResponse)
def history(request: Request, session: SessionDep, user: Writer, templates: TemplatesDep,
            policy_id: int) -> HTMLResponse:
    """Every published version of a policy with what it changed; publishers may roll back."""
    policy = get_or_missing(session, Policy, policy_id, f"没有编号为 {policy_id} 的政策")
    workflow.require_department(session, user, policy.department_id)
    versions = list_versions(session=session, policy_id=policy_id)
    departments = {key(d): d.name for d in session.exec(select(Department))}
    titles = {key(p): p.title for p in session.exec(select(Policy))}
    rows = []
    for i, v in enumerate(versions):
        before = versions[i + 1].snapshot if i + 1 < len(versions) else None
        rows.append((v, snapshot_diff(before, v.snapshot, departments=departments,
                                      policy_titles=titles)))
    return render(request, templates, "admin_history.html", {
        "p": policy, "rows": rows, "done": request.query_params.get("done")})


@router.post("/content/policies/{policy_id}/rollback", dependencies=[Depends(verify_csrf)])
def rollback_post(request: Request, form: PostedForm, session: SessionDep, user: Publisher,
                  policy_id: int) -> Response:
    """Publish an earlier version again (as a new version)."""
    raw = str(form.get("version") or "")
    version = parse_id(raw)
    if version is None:
        raise InvalidInput("请选择要回退到的版本")
    workflow.roll_back(session=session, staff=staff(request, user), policy_id=policy_id,
                       to_version=version)
    return RedirectResponse(f"/admin/content/policies/{policy_id}/history?done=rollback",
                            status_code=303)

"""Staff pages for content: the department's policies, draft forms, withdrawal, the validity list."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar
from starlette.datastructures import FormData

from kb.authoring.kinds import checked, label, labels
from kb.authoring.publishing import content_of, live_record
from kb.authoring.workflow import STATUS_LABELS, Staff, require_department, start, unpublish
from kb.clock import county_today
from kb.database.db import get_or_missing
from kb.errors import InvalidInput
from kb.feedback.models import LedgerTopic
from kb.inputs.ids import parse_id
from kb.models import (
    ContentKind,
    Department,
    FaqItem,
    Interpretation,
    Policy,
    Revision,
    Status,
    Validity,
)
from kb.staff.models import Role, User
from web.auth import actor_of, require_role, verify_csrf
from web.deps import SessionDep, TemplatesDep
from web.forms import FORMS, draft_data, form_kind, posted_form, shown

PostedForm = Annotated[FormData, Depends(posted_form)]

router = APIRouter(prefix="/admin", include_in_schema=False)
Writer = Annotated[User, Depends(require_role(Role.DRAFTER, Role.REVIEWER, Role.PUBLISHER,
                                              Role.ADMIN))]
Drafter = Annotated[User, Depends(require_role(Role.DRAFTER))]
Publisher = Annotated[User, Depends(require_role(Role.PUBLISHER))]
# The {kind} in the path, as one of kb's kinds, which have forms.
FormKind = Annotated[ContentKind, Depends(form_kind)]
EXPIRING_DAYS = 30  # the validity list warns this long before a policy lapses


def staff(request: Request, user: User) -> Staff:
    """The acting user and their address, for the workflow."""
    return Staff(user, actor_of(request, user).client)


def render(request: Request, templates: Jinja2Templates, template: str, context: dict,
           status: int = 200) -> HTMLResponse:
    """A staff page with the workflow's labels available."""
    return templates.TemplateResponse(
        request, template, context | {"status_labels": STATUS_LABELS, "kind_labels": labels()},
        status_code=status)


def _scope(stmt: SelectOfScalar[Policy], user: User) -> SelectOfScalar[Policy]:
    return stmt if user.has(Role.ADMIN) else stmt.where(Policy.department_id == user.department_id)


@router.get("/content", response_class=HTMLResponse)
def content_list(request: Request, session: SessionDep, user: Writer, templates: TemplatesDep,
                 q: Annotated[str, Query(max_length=100)] = "") -> HTMLResponse:
    """The department's policies in every state, and its open drafts."""
    stmt = _scope(select(Policy), user).order_by(col(Policy.updated_at).desc())
    if q.strip():
        stmt = stmt.where(col(Policy.title).contains(q.strip()) | col(Policy.doc_number).contains(q.strip()))
    drafts = session.exec(select(Revision).where(
        col(Revision.status).in_([Status.DRAFT, Status.RETURNED, Status.SUBMITTED, Status.APPROVED]),
        *(() if user.has(Role.ADMIN) else (Revision.department_id == user.department_id,)))
        .order_by(col(Revision.updated_at).desc())).all()
    return render(request, templates, "admin_content.html", {
        "policies": session.exec(stmt.limit(500)).all(), "drafts": drafts, "q": q,
        "departments": {d.id: d.name for d in session.exec(select(Department))}})


@router.get("/content/policies/{policy_id}", response_class=HTMLResponse)
def policy_admin(request: Request, session: SessionDep, user: Writer, templates: TemplatesDep,
                 policy_id: int) -> HTMLResponse:
    """One policy as staff see it: fields, interpretations and FAQ in every state, drafts."""
    policy = get_or_missing(session, Policy, policy_id, f"没有编号为 {policy_id} 的政策")
    require_department(session, user, policy.department_id)
    interps = session.exec(select(Interpretation).where(Interpretation.policy_id == policy_id)
                           .order_by(col(Interpretation.id))).all()
    faq = session.exec(select(FaqItem).where(FaqItem.policy_id == policy_id)
                       .order_by(col(FaqItem.ordinal), col(FaqItem.id))).all()
    revisions = session.exec(select(Revision).where(Revision.policy_id == policy_id)
                             .order_by(col(Revision.id).desc()).limit(50)).all()
    dept = session.get(Department, policy.department_id) if policy.department_id else None
    return render(request, templates, "admin_policy.html", {
        "p": policy, "interpretations": interps, "faq": faq, "revisions": revisions,
        "department": dept.name if dept else "", "done": request.query_params.get("done")})


def _form(request: Request, templates: Jinja2Templates, *, kind: ContentKind, values: dict,
          action: str, title: str, policy: Policy | None = None, error: str | None = None,
          topic_id: int | None = None, choices: list[Policy] | None = None,
          status: int = 200) -> HTMLResponse:
    return render(request, templates, "admin_form.html", {
        "kind": kind, "fields": FORMS[kind], "values": values, "action": action, "title": title,
        "policy": policy, "error": error, "topic_id": topic_id, "choices": choices or []}, status)


def _new_action(kind: ContentKind, policy_id: int | None, record_id: int | None,
                topic_id: int | None) -> str:
    params = [f"{k}={v}" for k, v in (("policy_id", policy_id), ("record_id", record_id),
                                       ("topic_id", topic_id)) if v is not None]
    return f"/admin/content/new/{kind.value}" + ("?" + "&".join(params) if params else "")


def _target(session: Session, kind: ContentKind, policy_id: int | None,
            record_id: int | None) -> tuple[Policy | None, dict, str]:
    """The policy a form belongs to, the values to start from, and the page title."""
    if record_id is not None:
        record = live_record(session=session, kind=kind, record_id=record_id)
        policy = record if isinstance(record, Policy) else session.get(Policy, record.policy_id)
        return policy, content_of(record), f"修改{label(kind)}"
    policy = (get_or_missing(session, Policy, policy_id, f"没有编号为 {policy_id} 的政策")
              if policy_id is not None else None)
    return policy, {}, f"新增{label(kind)}"


def _choices(session: Session, user: User, kind: ContentKind,
             policy: Policy | None) -> list[Policy]:
    """Policies an interpretation or FAQ drafted without one may be attached to."""
    if kind == ContentKind.POLICY or policy is not None:
        return []
    stmt = _scope(select(Policy).where(Policy.status == Status.PUBLISHED), user)
    return list(session.exec(stmt.order_by(col(Policy.title))))


@router.get("/content/new/{kind}", response_class=HTMLResponse)
def new_form(request: Request, session: SessionDep, user: Drafter, templates: TemplatesDep,
             kind: FormKind, policy_id: int | None = None, record_id: int | None = None,
             topic_id: int | None = None) -> HTMLResponse:
    """A blank draft form, or one filled with the live record a change starts from."""
    policy, values, title = _target(session, kind, policy_id, record_id)
    if policy is not None:
        require_department(session, user, policy.department_id)
    if topic_id is not None and kind == ContentKind.FAQ and not values:
        topic = session.get(LedgerTopic, topic_id)
        values = {"question": topic.title} if topic else {}
    return _form(request, templates, kind=kind, values=shown(kind, values), title=title,
                 policy=policy, action=_new_action(kind, policy_id, record_id, topic_id),
                 topic_id=topic_id, choices=_choices(session, user, kind, policy))


@router.post("/content/new/{kind}", dependencies=[Depends(verify_csrf)])
def new_post(request: Request, form: PostedForm, session: SessionDep, user: Drafter,
             templates: TemplatesDep, kind: FormKind, policy_id: int | None = None,
             record_id: int | None = None, topic_id: int | None = None) -> Response:
    """Save a new draft; invalid input comes back in the form with the message, nothing lost."""
    data = draft_data(kind, form)
    chosen = str(form.get("policy_id") or "").strip()
    if policy_id is None and parse_id(chosen) is not None:
        policy_id = parse_id(chosen)
    policy, _, title = _target(session, kind, policy_id, record_id)
    try:
        rev = start(session=session, staff=staff(request, user), kind=kind, data=data,
                    record_id=record_id, policy_id=policy.id if policy else None, topic_id=topic_id)
    except InvalidInput as exc:
        return _form(request, templates, kind=kind, values=shown(kind, data), title=title,
                     policy=policy, action=_new_action(kind, policy_id, record_id, topic_id),
                     error=exc.message, topic_id=topic_id,
                     choices=_choices(session, user, kind, policy), status=422)
    return RedirectResponse(f"/admin/revisions/{rev.id}?done=create", status_code=303)


@router.post("/content/{kind}/{record_id}/withdraw", dependencies=[Depends(verify_csrf)])
def withdraw_post(request: Request, form: PostedForm, session: SessionDep, user: Publisher,
                  kind: str, record_id: int) -> Response:
    """Take a published record off the site and out of search."""
    checked(kind)
    record = live_record(session=session, kind=kind, record_id=record_id)
    policy_id = record.id if isinstance(record, Policy) else record.policy_id
    unpublish(session=session, staff=staff(request, user), kind=kind, record_id=record_id,
              reason=str(form.get("reason") or ""))
    return RedirectResponse(f"/admin/content/policies/{policy_id}?done=withdraw", status_code=303)


@router.get("/validity", response_class=HTMLResponse)
def validity_list(request: Request, session: SessionDep, user: Writer, templates: TemplatesDep,
                  validity: Annotated[str, Query(max_length=10)] = "",
                  department: Annotated[str, Query(max_length=100)] = "") -> HTMLResponse:
    """Every published policy with its validity, what lapses soon, and what replaced what."""
    stmt = select(Policy).where(Policy.status == Status.PUBLISHED)
    if validity:
        if validity not in {v.value for v in Validity}:
            raise InvalidInput(f"未知的效力状态“{validity}”")
        stmt = stmt.where(Policy.validity == validity)
    departments = {d.id: d.name for d in session.exec(select(Department))}
    if department:
        ids = [i for i, name in departments.items() if name == department]
        if not ids:
            raise InvalidInput(f"未知的部门“{department}”")
        stmt = stmt.where(Policy.department_id == ids[0])
    policies = session.exec(stmt.order_by(col(Policy.effective_to), col(Policy.id))).all()
    today = county_today()
    return render(request, templates, "admin_validity.html", {
        "policies": policies, "departments": departments, "validity": validity,
        "department": department, "validities": [v.value for v in Validity], "today": today,
        "soon": today + timedelta(days=EXPIRING_DAYS),
        "titles": {p.id: p.title for p in policies}})

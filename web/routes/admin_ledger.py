"""The unanswered-question ledger pages: the list with filters, a topic with its questions and forms."""

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session, select

from kb import clock
from kb.clock import county_day
from kb.errors import Conflict, InvalidInput, PermissionDenied
from kb.feedback import ledger
from kb.feedback.answer_choices import answer_choices, parse_choice
from kb.feedback.models import TOPIC_STATUS_LABELS, TopicStatus
from kb.feedback.routing import ROUTED_BY_LABELS
from kb.models import Department
from kb.staff.models import Role, User
from web.auth import actor_of, verify_csrf
from web.deps import CurrentUserDep, SessionDep, TemplatesDep
from web.errors import status_of

router = APIRouter(prefix="/admin/ledger", include_in_schema=False)
CHANNEL_LABELS = {"widget": "网站问答", "api": "接口", "agent": "12345 坐席"}
ANSWER_LABELS = {"faq": "常见问题", "passage": "条款", "related": "相关条款", "none": "未答复"}
DONE = {"assigned": "已保存责任部门和办理期限", "status": "已更新状态", "linked": "已关联答复内容"}
MANAGERS = "管理员，或该问题责任部门的审核人、发布人"


def _departments(session: Session) -> list[Department]:
    return list(session.exec(select(Department).order_by(Department.name)))


def _int(name: str, value: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{name}应为编号（整数），收到“{value}”") from None


@router.get("", response_class=HTMLResponse)
def ledger_page(request: Request, session: SessionDep, user: CurrentUserDep,
                templates: TemplatesDep, status: str = "", department: str = "",
                overdue: str = "") -> Response:
    """Every topic, waiting ones first; filter by status, department and overdue."""
    rows = ledger.list_topics(session=session, status=status or None,
                              department_id=_int("部门", department), overdue_only=bool(overdue))
    filters = {"status": status, "department": department, "overdue": overdue}
    return templates.TemplateResponse(request, "admin_ledger.html", {
        "rows": rows, "filters": filters, "departments": _departments(session),
        "status_labels": TOPIC_STATUS_LABELS, "mine": user.department_id})


def _detail_page(request: Request, templates: Jinja2Templates, session: Session, user: User,
                 topic_id: int, *,
                 notice: str = "", error: str = "", status: int = 200) -> Response:
    detail = ledger.topic_detail(session=session, topic_id=topic_id)
    return templates.TemplateResponse(request, "admin_topic.html", {
        "t": detail, "topic": detail.topic, "departments": _departments(session),
        "answers": answer_choices(session=session, department_id=detail.topic.department_id),
        "routed_by_labels": ROUTED_BY_LABELS,
        "status_labels": TOPIC_STATUS_LABELS, "channel_labels": CHANNEL_LABELS,
        "answer_labels": ANSWER_LABELS, "notice": notice, "error": error,
        "can_manage": ledger.may_manage(user=user, topic=detail.topic),
        "is_admin": user.has(Role.ADMIN), "managers": MANAGERS,
        "today": county_day(clock.now()), "statuses": TopicStatus},
        status_code=status)


@router.get("/{topic_id}", response_class=HTMLResponse)
def topic_page(request: Request, session: SessionDep, user: CurrentUserDep, templates: TemplatesDep,
               topic_id: int, done: str = "") -> Response:
    """A topic with its member questions and, for those who manage it, the forms."""
    return _detail_page(request, templates, session, user, topic_id, notice=DONE.get(done, ""))


def _check_manager(session: Session, user: User, topic_id: int) -> None:
    topic = ledger.topic_detail(session=session, topic_id=topic_id).topic
    if not ledger.may_manage(user=user, topic=topic):
        raise PermissionDenied(f"只有{MANAGERS}可以办理该问题")


def _done(topic_id: int, code: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/ledger/{topic_id}?{urlencode({'done': code})}", status_code=303)


@router.post("/{topic_id}/assign", dependencies=[Depends(verify_csrf)])
def assign_topic(request: Request, session: SessionDep, user: CurrentUserDep,
                 templates: TemplatesDep, topic_id: int, department_id: Annotated[str, Form()] = "",
                 due_date: Annotated[str, Form()] = "",
                 note: Annotated[str, Form()] = "") -> Response:
    """Set the responsible department and due date; a refused form comes back with the reason."""
    _check_manager(session, user, topic_id)
    try:
        dept = _int("责任部门", department_id)
        if dept is None:
            raise InvalidInput("请选择责任部门")
        try:
            due = date.fromisoformat(due_date.strip())
        except ValueError:
            raise InvalidInput(f"办理期限“{due_date}”不是有效日期（格式 YYYY-MM-DD）") from None
        ledger.assign(session=session, actor=actor_of(request, user), topic_id=topic_id,
                      department_id=dept, due_date=due, note=note)
    except (InvalidInput, Conflict) as exc:  # refused before anything was written
        return _detail_page(request, templates, session, user, topic_id, error=exc.message,
                            status=status_of(exc))
    return _done(topic_id, "assigned")


@router.post("/{topic_id}/status", dependencies=[Depends(verify_csrf)])
def change_status(request: Request, session: SessionDep, user: CurrentUserDep,
                  templates: TemplatesDep, topic_id: int, status: Annotated[str, Form()] = "",
                  note: Annotated[str, Form()] = "") -> Response:
    """Move the topic along; closing without an answer needs a reason, reopening an admin."""
    _check_manager(session, user, topic_id)
    try:
        ledger.set_status(session=session, actor=actor_of(request, user), topic_id=topic_id,
                          status=status, note=note, admin=user.has(Role.ADMIN))
    except (InvalidInput, Conflict) as exc:
        return _detail_page(request, templates, session, user, topic_id, error=exc.message,
                            status=status_of(exc))
    return _done(topic_id, "status")


@router.post("/{topic_id}/link", dependencies=[Depends(verify_csrf)])
def link_answer(request: Request, session: SessionDep, user: CurrentUserDep,
                templates: TemplatesDep, topic_id: int, kind: Annotated[str, Form()] = "faq",
                record_id: Annotated[str, Form()] = "",
                answer: Annotated[str, Form()] = "") -> Response:
    """Mark the topic answered by an FAQ item or interpretation that is already published
    (``answer`` from the picker, "faq:12"; or ``kind`` and ``record_id``)."""
    _check_manager(session, user, topic_id)
    try:
        if answer.strip():
            picked = parse_choice(answer)
            if picked is None:
                raise InvalidInput("请从列表中选择已发布的常见问题或政策解读")
            kind, record_id = picked[0], str(picked[1])
        rid = _int("答复内容", record_id)
        if rid is None:
            raise InvalidInput("请填写已发布的常见问题或政策解读的编号")
        ledger.link_answer(session=session, actor=actor_of(request, user), topic_id=topic_id,
                           kind=kind, record_id=rid)
    except (InvalidInput, Conflict) as exc:
        return _detail_page(request, templates, session, user, topic_id, error=exc.message,
                            status=status_of(exc))
    return _done(topic_id, "linked")

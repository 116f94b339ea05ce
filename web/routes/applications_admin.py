"""Staff pages for applications: the queue per node (overdue first), moves, CSV import, statistics."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import col, select
from starlette.datastructures import FormData

from kb.authoring.workflow import require_department
from kb.clock import county_today
from kb.errors import InvalidInput, PermissionDenied
from kb.models import Department, Policy, Status
from kb.staff import audit
from kb.staff.models import Role, User
from push.applications.imports import import_text
from push.applications.models import FINAL, NODE_LABELS, Node, NodePromise
from push.applications.service import (
    ALLOWED,
    DEFAULT_DAYS,
    advance,
    advance_many,
    create,
    get_application,
    handler_for,
    open_policies,
    parse_node,
    set_promise,
)
from push.applications.stats import TIMED, stats, stats_csv
from push.applications.views import queue, track
from push.calendar.days import clear_day, set_day
from push.calendar.models import CalendarDay
from web.auth import actor_of, require_role, verify_csrf
from web.deps import SessionDep, SettingsDep, TemplatesDep
from web.forms import posted_form

PostedForm = Annotated[FormData, Depends(posted_form)]

router = APIRouter(prefix="/admin/applications", include_in_schema=False)
HandlerDep = Annotated[User, Depends(require_role(Role.HANDLER, Role.ADMIN))]
MAX_UPLOAD_BYTES = 2_000_000


def _render(request: Request, templates: Jinja2Templates, name: str, context: dict,
            status: int = 200) -> Response:
    return templates.TemplateResponse(
        request, name, {"labels": NODE_LABELS, **context}, status_code=status)


def _amount(text: str) -> float | None:
    text = (text or "").replace(",", "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"金额应为数字（万元），收到“{text}”") from None


def _scope(user: User) -> int | None:
    """The department whose queue a user works (administrators: every department)."""
    return None if user.has(Role.ADMIN) else user.department_id


@router.get("", response_class=HTMLResponse)
def queue_page(request: Request, session: SessionDep, user: HandlerDep, templates: TemplatesDep,
               node: str = "", done: str = "") -> Response:
    """Open applications of the user's department at one node (or all), overdue first."""
    chosen = parse_node(node) if node else None
    items = queue(session=session, department_id=_scope(user), node=chosen)
    everything = queue(session=session, department_id=_scope(user))
    counts = {n: sum(t.application.node == n for t in everything)
              for n in Node if n not in FINAL}
    mine = open_policies(session=session, department_id=_scope(user), day=county_today())
    targets = sorted({t for n in ([chosen] if chosen else Node) for t in ALLOWED[n]},
                     key=list(Node).index)
    return _render(request, templates, "admin_applications.html", {
        "items": items, "counts": counts, "node": chosen, "policies": mine, "targets": targets,
        "overdue": sum(t.overdue for t in everything), "done": done})


@router.post("/new", dependencies=[Depends(verify_csrf)])
def new_application(request: Request, session: SessionDep, user: HandlerDep,
                    uscc: Annotated[str, Form()], policy_id: Annotated[int, Form()],
                    amount: Annotated[str, Form()] = "",
                    note: Annotated[str, Form()] = "",
                    late_reason: Annotated[str, Form()] = "") -> Response:
    """Register one application at 已提交 (after the window closes only with a reason)."""
    app = create(session=session, handler=handler_for(user, actor_of(request, user).client),
                 uscc=uscc, policy_id=policy_id, amount=_amount(amount), note=note,
                 late_reason=late_reason)
    return RedirectResponse(f"/admin/applications/{app.ref}", status_code=303)


@router.post("/import", dependencies=[Depends(verify_csrf)])
def import_csv(request: Request, session: SessionDep, user: HandlerDep, settings: SettingsDep,
               file: UploadFile) -> Response:
    """Register every line of a CSV file, or none (the page lists each bad line)."""
    raw = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise InvalidInput("文件过大（最多2MB）")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("请上传UTF-8编码的CSV文件") from None
    refs = import_text(session=session, text=text, name=file.filename or "上传文件",
                       handler=handler_for(user, actor_of(request, user).client),
                       folder=settings.home)
    return RedirectResponse("/admin/applications?" + urlencode({"done": f"已导入{len(refs)}件申报"}),
                            status_code=303)


@router.post("/move", dependencies=[Depends(verify_csrf)])
def move_batch(request: Request, form: PostedForm, session: SessionDep,
               user: HandlerDep) -> Response:
    """Move the ticked applications to one node; all of them or, if any is refused, none."""
    refs = [str(r) for r in form.getlist("ref")]
    to = parse_node(str(form.get("to") or ""))
    moves = advance_many(session=session, handler=handler_for(user, actor_of(request, user).client),
                         refs=refs, to=to, note=str(form.get("note") or ""),
                         amount=_amount(str(form.get("amount") or "")))
    done = f"已将{len(moves)}件申报转到“{NODE_LABELS[to]}”"
    return RedirectResponse("/admin/applications?" + urlencode({"done": done}), status_code=303)


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, session: SessionDep, user: HandlerDep, templates: TemplatesDep,
               by: str = "policy") -> Response:
    """Per policy or department: applications per node, days per node, on-time shares, amounts."""
    by = "department" if by == "department" else "policy"
    return _render(request, templates, "admin_application_stats.html", {
        "rows": stats(session=session, by=by), "by": by, "timed": TIMED, "nodes": list(Node)})


@router.get("/stats.csv")
def stats_export(session: SessionDep, user: HandlerDep, by: str = "policy") -> Response:
    """The statistics as CSV (UTF-8 with a BOM, Chinese headers)."""
    by = "department" if by == "department" else "policy"
    return Response(stats_csv(stats(session=session, by=by)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="applications-{by}.csv"'})


@router.get("/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, session: SessionDep, user: HandlerDep, templates: TemplatesDep,
                  done: str = "") -> Response:
    """The county's holidays and weekend working days, and the promised working days per node."""
    days = session.exec(select(CalendarDay).order_by(col(CalendarDay.day))).all()
    promises = session.exec(select(NodePromise)).all()
    mine = _scope(user)
    policies = [p for p in session.exec(select(Policy).where(Policy.status == Status.PUBLISHED)
                                        .order_by(col(Policy.title)))
                if mine is None or p.department_id == mine]
    names = dict(session.exec(select(Department.id, Department.name)).all())
    return _render(request, templates, "admin_application_calendar.html", {
        "days": days, "promises": promises, "policies": policies, "names": names,
        "titles": {p.id: p.title for p in policies}, "timed": TIMED, "defaults": DEFAULT_DAYS,
        "is_admin": user.has(Role.ADMIN), "done": done})


def _back_to_calendar(done: str) -> RedirectResponse:
    return RedirectResponse("/admin/applications/calendar?" + urlencode({"done": done}),
                            status_code=303)


@router.post("/calendar/day", dependencies=[Depends(verify_csrf)])
def calendar_day(request: Request, session: SessionDep, user: HandlerDep,
                 day: Annotated[str, Form()], kind: Annotated[str, Form()] = "holiday",
                 name: Annotated[str, Form()] = "") -> Response:
    """Enter a holiday or a weekend working day, or clear one (administrators: it is county-wide)."""
    from kb.library.policies import parse_date

    if not user.has(Role.ADMIN):
        raise PermissionDenied("节假日和调休由管理员维护")
    when = parse_date("日期", day)
    if when is None:
        raise InvalidInput("请填写日期")
    if kind == "clear":
        clear_day(session=session, day=when)
    else:
        set_day(session=session, day=when, workday=kind == "workday", name=name)
    audit.record(session=session, actor=actor_of(request, user), action="calendar.set",
                 record_kind="calendar", detail={"day": when.isoformat(), "kind": kind,
                                                 "name": name})
    return _back_to_calendar(f"已更新{when.isoformat()}")


@router.post("/calendar/promise", dependencies=[Depends(verify_csrf)])
def calendar_promise(request: Request, session: SessionDep, user: HandlerDep,
                     node: Annotated[str, Form()], days: Annotated[int, Form()],
                     policy_id: Annotated[str, Form()] = "") -> Response:
    """Set a node's promised working days for one policy, or (empty) for the user's department."""
    target = parse_node(node)
    if policy_id.strip():
        policy = session.get(Policy, int(policy_id)) if policy_id.strip().isdigit() else None
        if policy is None:
            raise InvalidInput(f"没有编号为 {policy_id} 的政策")
        require_department(session, user, policy.department_id)
        set_promise(session=session, node=target, days=days, policy_id=policy.id)
    else:
        if user.department_id is None:
            raise InvalidInput("管理员没有所属部门：请选择一项政策")
        set_promise(session=session, node=target, days=days, department_id=user.department_id)
    audit.record(session=session, actor=actor_of(request, user), action="promise.set",
                 record_kind="policy" if policy_id.strip() else "department",
                 record_id=int(policy_id) if policy_id.strip() else user.department_id,
                 detail={"node": target.value, "days": days})
    return _back_to_calendar(f"已设置“{NODE_LABELS[target]}”承诺{days}个工作日")


@router.get("/{ref}", response_class=HTMLResponse)
def detail_page(request: Request, session: SessionDep, user: HandlerDep, templates: TemplatesDep,
                ref: str) -> Response:
    """One application with its timeline and the move form."""
    application = get_application(session=session, ref=ref)
    require_department(session, user, application.department_id)  # another's firms stay theirs
    t = track(session=session, application=application)
    current = t.application.node
    return _render(request, templates, "admin_application.html", {
        "t": t, "targets": ALLOWED[current], "show_amounts": True})


@router.post("/{ref}/move", dependencies=[Depends(verify_csrf)])
def move_one(request: Request, session: SessionDep, user: HandlerDep, ref: str,
             to: Annotated[str, Form()], note: Annotated[str, Form()] = "",
             amount: Annotated[str, Form()] = "", supply_by: Annotated[str, Form()] = "",
             correct: Annotated[str, Form()] = "") -> Response:
    """Move one application (a correction amends the node or undoes the last move)."""
    from kb.library.policies import parse_date

    app = get_application(session=session, ref=ref)
    advance(session=session, handler=handler_for(user, actor_of(request, user).client),
            ref=app.ref, to=parse_node(to), note=note, amount=_amount(amount),
            supply_by=parse_date("补正期限", supply_by), correction=bool(correct))
    return RedirectResponse(f"/admin/applications/{app.ref}", status_code=303)

"""The audit log viewer (管理员 only): newest first, filters, paging, CSV export."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from kb.clock import local_time
from kb.csvout import csv_text
from kb.errors import InvalidInput
from kb.library.policies import parse_date
from kb.staff.audit import entries
from kb.staff.models import AuditEntry, Role, User
from web.auth import require_role
from web.deps import SessionDep, TemplatesDep

router = APIRouter(prefix="/admin", include_in_schema=False)
AdminDep = Annotated[User, Depends(require_role(Role.ADMIN))]
PAGE_SIZE = 100
EXPORT_BATCH = 1000
SECONDS = "%Y-%m-%d %H:%M:%S"
# Readable names for the actions this part writes; others show their code.
ACTION_LABELS = {"login.ok": "登录", "login.fail": "登录失败", "login.throttled": "登录被锁定",
                 "logout": "退出", "user.create": "新建账号", "user.password": "设置密码",
                 "user.disable": "停用账号", "user.enable": "启用账号",
                 "department.create": "新建部门", "revision.create": "起草", "revision.edit": "修改稿件",
                 "revision.submit": "提交审核", "revision.approve": "审核通过", "revision.return": "退回",
                 "revision.publish": "发布", "revision.discard": "撤销稿件", "policy.withdraw": "撤回政策",
                 "interpretation.withdraw": "撤回解读", "faq.withdraw": "撤回问答",
                 "policy.rollback": "回退版本", "policy.expire": "到期失效", "ledger.create": "新建台账问题",
                 "ledger.assign": "分派台账问题", "ledger.status": "台账状态变更",
                 "ledger.link": "台账关联答复", "ledger.close": "台账问题关闭"}


@dataclass(frozen=True)
class AuditFilter:
    """The narrowing typed into the form; empty fields do not narrow."""

    actor: str = ""
    action: str = ""
    record_kind: str = ""
    record_id: str = ""
    since: str = ""  # county days, YYYY-MM-DD, inclusive
    until: str = ""

    def record_id_value(self) -> int | None:
        """The record id as a number, or None when not given."""
        if not self.record_id.strip():
            return None
        try:
            return int(self.record_id)
        except ValueError:
            raise InvalidInput(f"记录编号应为整数，收到“{self.record_id}”") from None

    def select(self, session: Session, *, limit: int, before_id: int | None) -> list[AuditEntry]:
        """The matching entries, newest first."""
        since, until = parse_date("since", self.since), parse_date("until", self.until)
        if since and until and since > until:
            raise InvalidInput("起始日期晚于截止日期")
        return entries(session=session, actor=self.actor.strip() or None,
                       action=self.action.strip() or None,
                       record_kind=self.record_kind.strip() or None,
                       record_id=self.record_id_value(), since=since, until=until,
                       limit=limit, before_id=before_id)

    def query(self) -> dict[str, str]:
        """The non-empty fields, for links that keep the filter."""
        return {k: v for k, v in vars(self).items() if v}


def _detail(entry: AuditEntry) -> str:
    """The entry's details as "field：value" pairs a person reads, not raw JSON."""
    def text(value: object) -> str:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    return "；".join(f"{k}：{text(v)}" for k, v in (entry.detail or {}).items())


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, admin: AdminDep, templates: TemplatesDep,
               filters: Annotated[AuditFilter, Depends()], before_id: int | None = None) -> Response:
    """One page of the audit log; 更早的记录 pages on by ``before_id``."""
    rows = filters.select(session, limit=PAGE_SIZE, before_id=before_id)
    older = rows[-1].id if len(rows) == PAGE_SIZE else None
    return templates.TemplateResponse(request, "admin_audit.html", {
        "rows": rows, "filters": filters, "older": older, "labels": ACTION_LABELS,
        "detail": _detail, "query": filters.query(), "before_id": before_id,
        "seconds": SECONDS})


@router.get("/audit.csv")
def audit_csv(session: SessionDep, admin: AdminDep,
              filters: Annotated[AuditFilter, Depends()]) -> Response:
    """Every matching entry as CSV, UTF-8 with a BOM so Excel shows the Chinese."""
    def rows() -> Iterator[list[object]]:
        before_id = None
        while batch := filters.select(session, limit=EXPORT_BATCH, before_id=before_id):
            for e in batch:
                yield [e.id, local_time(e.at, fmt=SECONDS), e.actor,
                       ACTION_LABELS.get(e.action, e.action), e.record_kind, e.record_id,
                       _detail(e), e.client]
            before_id = batch[-1].id

    header = ["编号", "时间（北京时间）", "账号", "操作", "记录类型", "记录编号", "详情", "来源"]
    return Response(csv_text(header, rows()), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})

"""Application tables: a firm's application for a policy, its moves node by node, promised days."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from kb.database.types import UTCDateTime
from kb.models import utcnow


class Node(StrEnum):
    """Where an application stands; the names are the CLI's and the API's."""

    SUBMITTED = "submitted"  # 已提交
    ACCEPTED = "accepted"  # 已受理
    REVIEWING = "reviewing"  # 审核中
    PUBLICITY = "publicity"  # 公示中
    APPROVED = "approved"  # 已核定 (approved amount)
    PAID = "paid"  # 已拨付 (paid amount and date)
    RETURNED = "returned"  # 退回补正 (what to supply, by when)
    REJECTED = "rejected"  # 不予支持 (reason)


NODE_LABELS = {
    Node.SUBMITTED: "已提交", Node.ACCEPTED: "已受理", Node.REVIEWING: "审核中",
    Node.PUBLICITY: "公示中", Node.APPROVED: "已核定", Node.PAID: "已拨付",
    Node.RETURNED: "退回补正", Node.REJECTED: "不予支持",
}
MAIN_LINE = (Node.SUBMITTED, Node.ACCEPTED, Node.REVIEWING, Node.PUBLICITY, Node.APPROVED,
             Node.PAID)
FINAL = (Node.PAID, Node.REJECTED)


class Application(SQLModel, table=True):
    """One firm's application for one policy; ``ref`` is its public tracking number."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, index=True, max_length=20)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    policy_id: int = Field(foreign_key="policy.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    node: Node = Field(default=Node.SUBMITTED, index=True)  # the last move's node
    amount_requested: float | None = None  # 万元
    amount_approved: float | None = None
    amount_paid: float | None = None
    paid_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApplicationMove(SQLModel, table=True):
    """One step of an application; rows are only added, a wrong one is corrected by a later one."""

    # Two clerks moving the same application at once cannot both become step n+1.
    __table_args__ = (UniqueConstraint("application_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    seq: int  # 1, 2, ... within the application
    node: Node
    at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    department: str = Field(default="", max_length=100)  # as it was named at the time
    user_id: int | None = Field(default=None, foreign_key="user.id")
    handler: str = Field(default="", max_length=100)  # the handler's name, shown to the firm
    note: str = Field(default="", sa_column=Column(Text, nullable=False))  # for the applicant
    # "What you should know at this step", from the policy: materials, contacts, next deadline.
    know: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    promised_days: int | None = None  # working days the county promises for this node
    due: date | None = None  # the county day by which the node should be left
    amount: float | None = None  # approved (approved) or paid (paid) amount, 万元
    paid_on: date | None = None
    supply_by: date | None = None  # returned: supply the materials by this day
    correction: bool = False  # amends or undoes the move before it


class NodePromise(SQLModel, table=True):
    """Promised working days for a node, set for one policy or for a whole department."""

    __table_args__ = (UniqueConstraint("policy_id", "department_id", "node"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_id: int | None = Field(default=None, foreign_key="policy.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    node: Node
    days: int = Field(ge=0)

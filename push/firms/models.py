"""The firm registry's tables and API shapes (one SQLModel family)."""

import re
from datetime import datetime
from typing import Any

from pydantic import field_validator, model_validator
from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from kb.config import get_settings
from kb.database.types import UTCDateTime
from kb.errors import KBError
from kb.inputs.urls import webhook_url
from kb.models import utcnow
from kb.standards.industry import normalize_industry_code
from push.firms.uscc import normalize_uscc
from push.settings import push_settings

CHANNELS = ("email", "webhook", "inbox", "sms")  # delivery channels a firm can opt into
_LIST_SPLIT = re.compile(r"[;；,，、|/\n]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _as_list(value: Any) -> list[str]:
    """A list of stripped, de-duplicated strings from a list or a separated string."""
    if value is None:
        return []
    items = _LIST_SPLIT.split(value) if isinstance(value, str) else list(value)
    return list(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))


class FirmProfile(SQLModel):
    """What matching needs to know about a firm; a 政策体检 visitor may give only this."""

    industry_code: str | None = Field(default=None, max_length=8, index=True)  # GB/T 4754-2017
    employees: int | None = Field(default=None, ge=0)  # 从业人员 (persons)
    revenue: float | None = Field(default=None, ge=0)  # 营业收入 (万元)
    assets: float | None = Field(default=None, ge=0)  # 资产总额 (万元)
    region: str | None = Field(default=None, max_length=50, index=True)  # 镇/街道
    qualifications: list[str] = Field(default_factory=list)  # 高新技术企业, ...
    business_scope: str = ""  # 经营范围

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        """Blank strings (empty CSV cells) mean "not given"."""
        if isinstance(data, dict):
            return {
                k: (None if isinstance(v, str) and not v.strip() else v) for k, v in data.items()
            }
        return data

    @field_validator("industry_code", mode="before")
    @classmethod
    def _industry(cls, value: Any) -> str | None:
        """Validate against GB/T 4754-2017 and store the canonical code."""
        if value is None:
            return None
        try:
            return normalize_industry_code(str(value))
        except KBError as exc:
            raise ValueError(exc.message) from None

    @field_validator("employees", "revenue", "assets", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        """Accept "1,200" and " 300 " as numbers."""
        return value.replace(",", "").replace("，", "").strip() if isinstance(value, str) else value

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> Any:
        """Strip surrounding spaces."""
        return value.strip() if isinstance(value, str) else value

    @field_validator("qualifications", mode="before")
    @classmethod
    def _qualifications(cls, value: Any) -> list[str]:
        """A list, or a string separated by ；、, |."""
        return _as_list(value)

    @field_validator("business_scope", mode="before")
    @classmethod
    def _scope(cls, value: Any) -> str:
        """Missing scope is the empty string."""
        return "" if value is None else str(value).strip()


class FirmBase(FirmProfile):
    """A registered firm: identity, profile, contacts and channel preferences."""

    uscc: str = Field(max_length=18)  # 统一社会信用代码
    name: str = Field(min_length=1, max_length=200)
    contact_name: str | None = Field(default=None, max_length=50)
    contact_email: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=50)
    webhook_url: str | None = Field(default=None, max_length=500)
    channels: list[str] = Field(default_factory=list)

    @field_validator("uscc", mode="before")
    @classmethod
    def _uscc(cls, value: Any) -> str:
        """Validate per GB 32100-2015 and store the canonical code."""
        try:
            return normalize_uscc(str(value or ""))
        except KBError as exc:
            raise ValueError(exc.message) from None

    @field_validator("channels", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> list[str]:
        """Known channel names only."""
        channels = [c.lower() for c in _as_list(value)]
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise ValueError(f"未知的推送渠道：{'、'.join(unknown)}（可选：{'、'.join(CHANNELS)}）")
        return channels

    @model_validator(mode="after")
    def _contacts(self) -> "FirmBase":
        """Each chosen channel needs its address, and addresses must look right."""
        if self.contact_email and not _EMAIL.match(self.contact_email):
            raise ValueError(f"邮箱格式不对：{self.contact_email}")
        if self.webhook_url:
            # Raises UnsafeURL (a ValueError) naming why.
            webhook_url(self.webhook_url,
                        allow_loopback=push_settings(get_settings()).webhook_allow_loopback)
        if "email" in self.channels and not self.contact_email:
            raise ValueError("选择了email渠道但未填写联系邮箱")
        if "webhook" in self.channels and not self.webhook_url:
            raise ValueError("选择了webhook渠道但未填写webhook地址")
        if "sms" in self.channels and not self.contact_phone:
            raise ValueError("选择了sms渠道但未填写联系电话")
        return self


class Firm(FirmBase, table=True):
    """A firm in the registry; ``uscc`` is its identity and re-import key."""

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(unique=True, index=True, max_length=18)
    qualifications: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    business_scope: str = Field(default="", sa_column=Column(Text, nullable=False))
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FirmCreate(FirmBase):
    """A validated firm as imported or registered."""

"""CSV import of applications: every line checked, per-line errors, all or nothing."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlmodel import Session

from kb.errors import InvalidInput, KBError
from kb.inputs.rows import read_rows
from push.applications.service import Handler, create

HEADERS = {
    "uscc": "uscc", "统一社会信用代码": "uscc", "信用代码": "uscc",
    "policy_id": "policy_id", "policy": "policy_id", "政策编号": "policy_id",
    "amount": "amount", "申请金额": "amount", "申请金额（万元）": "amount",
    "note": "note", "说明": "note", "备注": "note",
}  # fmt: skip
MAX_ERRORS_SHOWN = 50

N = TypeVar("N", int, float)


def _number(text: str, what: str, kind: Callable[[str], N]) -> N | None:
    text = (text or "").replace(",", "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise InvalidInput(f"{what}不是数字：{text}") from None


def import_applications(*, session: Session, path: str | Path,
                        handler: Handler) -> list[tuple[int, str]]:
    """Create one application per CSV line; any bad line refuses the whole file (nothing saved)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: 文件不存在")
    try:
        path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: 不是UTF-8编码的CSV文件") from None
    errors: list[str] = []
    created: list[tuple[int, str]] = []
    for line, row in read_rows(path, "csv"):
        if isinstance(row, str):
            errors.append(f"第{line}行：{row}")
            continue
        data = {HEADERS[k.strip()]: (v or "").strip() for k, v in row.items()
                if k and k.strip() in HEADERS}
        try:
            if not data.get("uscc"):
                raise InvalidInput("缺少统一社会信用代码")
            policy_id = _number(data.get("policy_id", ""), "政策编号", int)
            if policy_id is None:
                raise InvalidInput("缺少政策编号")
            with session.begin_nested():  # a refused line leaves nothing behind
                app = create(session=session, handler=handler, uscc=data["uscc"],
                             policy_id=policy_id, note=data.get("note"),
                             amount=_number(data.get("amount", ""), "申请金额", float))
            created.append((line, app.ref))
        except KBError as exc:
            errors.append(f"第{line}行：{exc.message}")
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n……另有{len(errors) - len(shown)}行错误" if len(errors) > len(shown) else ""
        raise InvalidInput(f"{path}: {len(errors)}行有误，整个文件未导入：\n" + "\n".join(shown)
                           + more)
    if not created:
        raise InvalidInput(f"{path}: 没有可导入的申报（表头应含统一社会信用代码、政策编号）")
    return created


def import_text(*, session: Session, text: str, handler: Handler, name: str = "上传文件",
                folder: Path) -> list[tuple[int, str]]:
    """Import CSV text uploaded through a page (written to ``folder`` so both paths read alike)."""
    handle, name_on_disk = tempfile.mkstemp(prefix="application-import-", suffix=".csv",
                                            dir=folder)  # one file per upload: uploads may overlap
    target = Path(name_on_disk)
    with os.fdopen(handle, "w", encoding="utf-8") as fh:
        fh.write(text)
    try:
        return import_applications(session=session, path=target, handler=handler)
    except InvalidInput as exc:
        raise InvalidInput(exc.message.replace(str(target), name)) from None
    finally:
        target.unlink(missing_ok=True)


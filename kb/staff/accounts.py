"""Staff accounts: argon2id passwords, sign-in with throttling, sliding browser sessions."""

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, delete, func, select

from kb.clock import aware
from kb.config import Settings
from kb.database.db import get_or_missing, key
from kb.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, TooManyAttempts
from kb.models import Department, utcnow
from kb.staff.audit import Actor, record
from kb.staff.models import ROLE_LABELS, LoginAttempt, Role, User, UserSession

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[a-z0-9_.-]{2,64}$")
# A used session is written back at most this often, so every page view is not a write.
TOUCH_EVERY = timedelta(minutes=1)
# The address limit is a multiple of the account limit: an office behind one NAT address has
# many honest typos, while one address trying many accounts is a guessing script.
CLIENT_FACTOR = 4

BAD_CREDENTIALS = "用户名或密码不正确"
_ROLE_NAMES = {r.value: r for r in Role} | {label: r for r, label in ROLE_LABELS.items()}
_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults


@cache
def _dummy_hash() -> str:
    # Verifying against this for an unknown user makes it cost as much as a wrong password.
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted, parameters included)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def role_labels(roles: list[str]) -> list[str]:
    """The Chinese labels of stored role values, e.g. ["拟稿人", "审核人"]."""
    return [ROLE_LABELS[_ROLE_NAMES[r]] if r in _ROLE_NAMES else r for r in roles]


def parse_roles(names: list[str]) -> list[Role]:
    """Roles from their English values or Chinese labels, in order, without repeats."""
    roles: list[Role] = []
    for name in names:
        role = _ROLE_NAMES.get(name.strip().lower())
        if role is None:
            known = "、".join(f"{r.value}（{label}）" for r, label in ROLE_LABELS.items())
            raise InvalidInput(f"未知的角色“{name}”，可选：{known}")
        if role not in roles:
            roles.append(role)
    if not roles:
        raise InvalidInput("至少要指定一个角色")
    return roles


def check_password(password: str) -> None:
    """Refuse a password too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符")


def find_department(*, session: Session, name: str) -> Department | None:
    """The department with exactly this name, if any."""
    return session.exec(select(Department).where(Department.name == name.strip())).first()


def department_names(*, session: Session) -> list[str]:
    """Every department's name, for choosing one when creating an account."""
    return list(session.exec(select(Department.name).order_by(col(Department.id))))


def get_user(*, session: Session, username: str) -> User:
    """The account with this username."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise NotFound(f"没有用户名为“{username}”的账号")
    return user


def get_user_by_id(*, session: Session, user_id: int) -> User:
    """The account with this id."""
    return get_or_missing(session, User, user_id, f"没有编号为 {user_id} 的账号")


def create_user(*, session: Session, actor: Actor, username: str, name: str, password: str,
                department: str | None, roles: list[str]) -> User:
    """Create an account; a department named for the first time is created too (audited)."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInput("用户名只能用小写字母、数字和 _ . -，长度 2–64")
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("请填写姓名（最多 100 字），它会显示在拟稿、审核、发布记录上")
    check_password(password)
    parsed = parse_roles(roles)
    department = (department or "").strip() or None
    if department is None and parsed != [Role.ADMIN]:
        raise InvalidInput("除管理员外，每个账号都要属于一个部门")
    if department and len(department) > 100:
        raise InvalidInput("部门名称最多 100 字")
    if session.exec(select(User.id).where(User.username == username)).first() is not None:
        raise Conflict(f"用户名“{username}”已被使用")
    # Everything is checked before the first write, so a refusal leaves nothing behind.
    dept = find_department(session=session, name=department) if department else None
    if department and dept is None:
        dept = Department(name=department)
        session.add(dept)
        session.flush()
        record(session=session, actor=actor, action="department.create", record_kind="department",
               record_id=dept.id, detail={"name": department})
    user = User(username=username, name=name, department_id=dept.id if dept else None,
                roles=[r.value for r in parsed], password_hash=hash_password(password))
    session.add(user)
    session.flush()
    record(session=session, actor=actor, action="user.create", record_kind="user",
           record_id=user.id, detail={"username": username, "name": name,
                                      "department": department, "roles": user.roles})
    return user


@dataclass(frozen=True)
class Account:
    """One row of the account list: the user and their department's name."""

    user: User
    department: str | None

    @property
    def role_labels(self) -> list[str]:
        """The user's roles in Chinese."""
        return role_labels(self.user.roles)


def list_users(*, session: Session) -> list[Account]:
    """Every account with its department, by username."""
    rows = session.exec(select(User, Department.name)
                        .outerjoin(Department, col(User.department_id) == Department.id)
                        .order_by(col(User.username)))
    return [Account(user, dept) for user, dept in rows]


def department_name(*, session: Session, user: User) -> str | None:
    """The name of the user's department, if they have one."""
    dept = session.get(Department, user.department_id) if user.department_id else None
    return dept.name if dept else None


def _end_sessions(session: Session, user_id: int) -> int:
    result = session.exec(delete(UserSession).where(col(UserSession.user_id) == user_id))
    return result.rowcount or 0


def set_password(*, session: Session, actor: Actor, user: User, password: str) -> None:
    """Give the user a new password; their open sessions end."""
    check_password(password)
    user.password_hash = hash_password(password)
    session.add(user)
    ended = _end_sessions(session, key(user))
    record(session=session, actor=actor, action="user.password", record_kind="user",
           record_id=user.id, detail={"username": user.username, "sessions_ended": ended})


def disable_user(*, session: Session, actor: Actor, user: User) -> User:
    """Stop the account from signing in and sign it out everywhere."""
    if actor.user_id is not None and actor.user_id == user.id:
        raise Conflict("不能停用自己正在使用的账号，请让另一位管理员操作")
    user.active = False
    session.add(user)
    ended = _end_sessions(session, key(user))
    record(session=session, actor=actor, action="user.disable", record_kind="user",
           record_id=user.id, detail={"username": user.username, "sessions_ended": ended})
    return user


def enable_user(*, session: Session, actor: Actor, user: User) -> User:
    """Let a disabled account sign in again."""
    user.active = True
    session.add(user)
    record(session=session, actor=actor, action="user.enable", record_kind="user",
           record_id=user.id, detail={"username": user.username})
    return user


# --- Sign-in ----------------------------------------------------------------------------


def _failures(session: Session, since: datetime, **match: str) -> list[datetime]:
    stmt = (select(LoginAttempt.at).where(col(LoginAttempt.ok).is_(False))
            .where(col(LoginAttempt.at) > since))
    for name, value in match.items():
        stmt = stmt.where(getattr(LoginAttempt, name) == value)
    return sorted(aware(at) for at in session.exec(stmt))


def _known_client(session: Session, username: str, client: str) -> bool:
    """Whether this account has signed in from this address before."""
    return session.exec(select(LoginAttempt.id).where(
        LoginAttempt.username == username, LoginAttempt.client == client,
        col(LoginAttempt.ok).is_(True)).limit(1)).first() is not None


def _wait_message(seconds: int) -> str:
    wait = f"{math.ceil(seconds / 60)} 分钟" if seconds >= 60 else f"{seconds} 秒"
    return f"登录失败次数过多，已暂时锁定，请 {wait}后再试；忘记密码请联系管理员重置"


def _seconds(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds())) if moment > now else 0


def _throttle_wait(session: Session, username: str, client: str, settings: Settings,
                   now: datetime) -> int:
    """Seconds until this address may try this account again; 0 when it is not locked.

    Three counts, each within the window. Per account and address: after the allowed failures
    each further one doubles the pause (from ``login_backoff_s`` up to the window), so guessing
    from one place stays slow while the real user elsewhere is untouched. Per address, over all
    accounts: four times the failures lock it (one place guessing many accounts). Per account,
    over all addresses: four times the failures lock it for addresses it never signed in from
    (guessing spread over many places), never for the user's own.
    """
    window = timedelta(seconds=settings.login_window_s)
    since, limit = now - window, settings.login_max_failures
    # Failures before this address's last good sign-in to the account are forgiven (typos).
    good = session.exec(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.client == client,
        col(LoginAttempt.ok).is_(True))).one()
    pair = _failures(session, max(since, aware(good)) if good else since,
                     username=username, client=client)
    wait = 0
    if len(pair) >= limit:
        pause = settings.login_backoff_s * 2 ** (len(pair) - limit)
        if now < pair[-1] + min(window, timedelta(seconds=pause)):
            # This refused try counts too (a script that keeps guessing stays locked): the
            # pause it answers with is the doubled one that starts now.
            wait = _seconds(now + min(window, timedelta(seconds=pause * 2)), now)
    wide = [_failures(session, since, client=client)]
    if not _known_client(session, username, client):
        wide.append(_failures(session, since, username=username))
    for failures in wide:
        if len(failures) >= limit * CLIENT_FACTOR:
            failures.append(now)
            freed_at = failures[len(failures) - limit * CLIENT_FACTOR] + window
            wait = max(wait, _seconds(freed_at, now))
    return wait


def authenticate(*, session: Session, username: str, password: str, client: str,
                 settings: Settings, now: datetime | None = None) -> User:
    """The user these credentials belong to; every attempt is recorded, also refused ones.

    Refusals raise after writing the attempt to ``session``: the caller must still commit it
    (catch the error inside the unit of work), or throttling never sees the failures.
    """
    now = aware(now) if now else utcnow()
    typed = username.strip().lower()[:64]
    client = client[:64]
    user = session.exec(select(User).where(User.username == typed)).first() if typed else None
    audit_as = Actor(user.id if user else None, typed or "(空)", user.name if user else "", client)

    def refuse(action: str, error: Exception, reason: str) -> Exception:
        session.add(LoginAttempt(username=typed, client=client, at=now, ok=False))
        record(session=session, actor=audit_as, action=action, record_kind="user",
               record_id=user.id if user else None, detail={"reason": reason})
        return error

    wait = _throttle_wait(session, typed, client, settings, now)
    if wait:  # checked before the password, so guessing right while locked does not help
        raise refuse("login.throttled", TooManyAttempts(_wait_message(wait), wait), "throttled")
    if user is None:
        verify_password(_dummy_hash(), password)  # same cost as a real check: no user probing
        raise refuse("login.fail", AuthenticationFailed(BAD_CREDENTIALS), "unknown user")
    if not verify_password(user.password_hash, password):
        raise refuse("login.fail", AuthenticationFailed(BAD_CREDENTIALS), "wrong password")
    if not user.active:  # told only to someone who knows the password
        raise refuse("login.fail", AuthenticationFailed("该账号已停用，请联系管理员"), "disabled")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.add(user)
    session.add(LoginAttempt(username=typed, client=client, at=now, ok=True))
    record(session=session, actor=audit_as, action="login.ok", record_kind="user",
           record_id=user.id)
    return user


# --- Sessions ---------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(*, session: Session, user: User, client: str, settings: Settings,
                 now: datetime | None = None) -> str:
    """Start a browser session for ``user``; returns the cookie token (only its hash is kept)."""
    now = aware(now) if now else utcnow()
    # Expired rows of anyone are dropped here, so the table does not grow without bound.
    session.exec(delete(UserSession).where(col(UserSession.expires_at) < now))
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_digest(token), user_id=key(user),
                            csrf_token=secrets.token_urlsafe(32), client=client[:64],
                            created_at=now, last_seen_at=now,
                            expires_at=now + timedelta(hours=settings.session_hours)))
    session.flush()
    return token


def resolve_session(*, session: Session, token: str,
                    now: datetime | None = None) -> tuple[User, UserSession] | None:
    """The signed-in user and their session for a cookie token; None when it is not valid."""
    if not token:
        return None
    now = aware(now) if now else utcnow()
    row = session.exec(select(UserSession).where(UserSession.token_hash == _digest(token))).first()
    if row is None:
        return None
    expires_at, last_seen = aware(row.expires_at), aware(row.last_seen_at)
    user = session.get(User, row.user_id)
    if expires_at <= now or user is None or not user.active:
        session.delete(row)
        session.flush()
        return None
    if now - last_seen >= TOUCH_EVERY:
        # Sliding expiry: the session lives as long again as it was given at its last touch.
        row.expires_at = now + (expires_at - last_seen)
        row.last_seen_at = now
        session.add(row)
        session.flush()
    return user, row


def close_session(*, session: Session, token: str) -> None:
    """End the session of this cookie token (signing out); unknown tokens are ignored."""
    session.exec(delete(UserSession).where(col(UserSession.token_hash) == _digest(token)))

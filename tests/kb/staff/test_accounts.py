"""Staff accounts: password hashing, creating users, signing in with throttling, sessions."""

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlmodel import Session, select

from kb.database.db import session_scope
from kb.errors import AuthenticationFailed, Conflict, InvalidInput, TooManyAttempts
from kb.models import Department
from kb.staff.accounts import (
    BAD_CREDENTIALS,
    authenticate,
    close_session,
    create_user,
    disable_user,
    enable_user,
    get_user,
    hash_password,
    list_users,
    open_session,
    resolve_session,
    set_password,
    verify_password,
)
from kb.staff.audit import SYSTEM, Actor, entries
from kb.staff.models import LoginAttempt, User, UserSession

PASSWORD = "correct-horse-9"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def add(engine, username="zhang", roles=("drafter",), department="县科技局", password=PASSWORD):
    with session_scope(engine) as s:
        return create_user(session=s, actor=SYSTEM, username=username, name="张三",
                           password=password, department=department, roles=list(roles))


def sign_in(engine, settings, username="zhang", password=PASSWORD, client="10.0.0.1", now=None):
    """One sign-in attempt in its own unit of work; a refusal is committed like the web does."""
    with session_scope(engine) as s:
        try:
            return authenticate(session=s, username=username, password=password, client=client,
                                settings=settings, now=now)
        except (AuthenticationFailed, TooManyAttempts) as exc:
            return exc


def test_passwords_are_argon2id_salted_and_verified():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and first != second  # a fresh salt each time
    assert verify_password(first, PASSWORD)
    assert not verify_password(first, "correct-horse-8")
    assert not verify_password("not a hash", PASSWORD)


def test_create_user_accepts_chinese_role_labels_and_creates_the_department(engine):
    user = add(engine, roles=["拟稿人", "reviewer", "拟稿人"])
    assert user.roles == ["drafter", "reviewer"]
    with Session(engine) as s:
        dept = s.exec(select(Department).where(Department.name == "县科技局")).one()
        assert user.department_id == dept.id
        assert [e.action for e in entries(session=s)] == ["user.create", "department.create"]
        assert entries(session=s, action="user.create")[0].detail["roles"] == ["drafter", "reviewer"]
    add(engine, username="li", department="县科技局")
    with Session(engine) as s:  # the second account joins the same department
        assert len(s.exec(select(Department)).all()) == 1
        assert [a.department for a in list_users(session=s)] == ["县科技局", "县科技局"]


@pytest.mark.parametrize(("fields", "error", "words"), [
    ({"username": "Zhang San"}, InvalidInput, "用户名"),
    ({"username": "z"}, InvalidInput, "用户名"),
    ({"password": "short-9"}, InvalidInput, "至少 10"),
    ({"roles": ["boss"]}, InvalidInput, "未知的角色"),
    ({"roles": []}, InvalidInput, "至少要指定一个角色"),
    ({"department": None}, InvalidInput, "部门"),
    ({"department": "  "}, InvalidInput, "部门"),
])
def test_create_user_refuses_bad_input_and_writes_nothing(engine, fields, error, words):
    args = {"username": "zhang", "password": PASSWORD, "department": "县发改委",
            "roles": ["drafter"]} | fields
    with pytest.raises(error, match=words), session_scope(engine) as s:
        create_user(session=s, actor=SYSTEM, name="张三", **args)
    with Session(engine) as s:
        assert s.exec(select(User)).all() == [] and s.exec(select(Department)).all() == []


def test_admin_needs_no_department_and_usernames_are_unique(engine):
    admin = add(engine, username="root.admin", roles=["管理员"], department=None)
    assert admin.department_id is None and admin.roles == ["admin"]
    with pytest.raises(Conflict, match="已被使用"):
        add(engine, username="ROOT.admin", roles=["admin"], department=None)


def test_sign_in_records_the_attempt_and_the_time(engine, settings):
    add(engine)
    user = sign_in(engine, settings, username=" Zhang ", now=T0)
    assert isinstance(user, User) and user.username == "zhang"
    with Session(engine) as s:
        assert s.get(User, user.id).last_login_at.replace(tzinfo=UTC) == T0
        attempt = s.exec(select(LoginAttempt)).one()
        assert (attempt.username, attempt.client, attempt.ok) == ("zhang", "10.0.0.1", True)
        ok = entries(session=s, action="login.ok")[0]
        assert (ok.actor, ok.user_id, ok.client) == ("zhang", user.id, "10.0.0.1")


def test_unknown_user_and_wrong_password_get_the_same_answer(engine, settings):
    add(engine)
    wrong, unknown = sign_in(engine, settings, password="wrong-password"), sign_in(
        engine, settings, username="nobody")
    assert isinstance(wrong, AuthenticationFailed) and isinstance(unknown, AuthenticationFailed)
    assert wrong.message == unknown.message == BAD_CREDENTIALS
    with Session(engine) as s:
        fails = entries(session=s, action="login.fail")
        assert [(e.actor, e.user_id is None, e.detail["reason"]) for e in fails] == [
            ("nobody", True, "unknown user"), ("zhang", False, "wrong password")]
        assert [a.ok for a in s.exec(select(LoginAttempt))] == [False, False]


def test_disabled_account_cannot_sign_in_until_enabled(engine, settings):
    add(engine)
    with session_scope(engine) as s:
        disable_user(session=s, actor=SYSTEM, user=get_user(session=s, username="zhang"))
    refused = sign_in(engine, settings)
    assert isinstance(refused, AuthenticationFailed) and "停用" in refused.message
    # Someone without the password learns nothing about the account's state.
    assert sign_in(engine, settings, password="wrong-password").message == BAD_CREDENTIALS
    with session_scope(engine) as s:
        enable_user(session=s, actor=SYSTEM, user=get_user(session=s, username="zhang"))
    assert isinstance(sign_in(engine, settings), User)


def test_failures_pause_that_address_even_for_the_right_password_and_no_other(engine, settings):
    add(engine)
    for i in range(settings.login_max_failures):
        assert isinstance(sign_in(engine, settings, password="guess-guess",
                                  now=T0 + timedelta(seconds=i)), AuthenticationFailed)
    locked = sign_in(engine, settings, now=T0 + timedelta(seconds=10))
    assert isinstance(locked, TooManyAttempts)
    # The refused try counts too: the pause doubles and starts with it.
    assert locked.retry_after_s == 2 * settings.login_backoff_s
    assert "后再试" in locked.message
    # Five wrong passwords from one place do not lock the real user out elsewhere.
    assert isinstance(sign_in(engine, settings, client="10.0.0.2",
                              now=T0 + timedelta(seconds=11)), User)
    assert isinstance(sign_in(engine, settings, now=T0 + timedelta(
        seconds=10 + locked.retry_after_s)), User)
    with Session(engine) as s:
        assert len(entries(session=s, action="login.throttled")) == 1


def test_guessing_from_one_address_stays_slow(engine, settings):
    add(engine)
    checked = 0  # passwords actually tried, by a script that tries again as soon as it may
    moment = T0
    while moment < T0 + timedelta(seconds=settings.login_window_s):
        answer = sign_in(engine, settings, password="guess-guess", client="198.51.100.9",
                         now=moment)
        if isinstance(answer, AuthenticationFailed):
            checked += 1
            moment += timedelta(seconds=1)
        else:
            moment += timedelta(seconds=answer.retry_after_s)
    # 5 free tries, then pauses of 30, 60, 120, 240, 480 s: a handful per window, not hundreds.
    assert settings.login_max_failures < checked <= settings.login_max_failures + 5
    assert isinstance(sign_in(engine, settings, now=moment), User)  # the user, elsewhere


def test_a_good_sign_in_forgives_earlier_typos(engine, settings):
    add(engine)
    for i in range(settings.login_max_failures - 1):
        sign_in(engine, settings, password="guess-guess", now=T0 + timedelta(seconds=i))
    assert isinstance(sign_in(engine, settings, now=T0 + timedelta(seconds=5)), User)
    sign_in(engine, settings, password="guess-guess", now=T0 + timedelta(seconds=6))
    assert isinstance(sign_in(engine, settings, now=T0 + timedelta(seconds=7)), User)


def test_guessing_spread_over_many_addresses_spares_the_users_own(engine, settings):
    add(engine)
    assert isinstance(sign_in(engine, settings, client="10.0.0.1", now=T0), User)
    for i in range(settings.login_max_failures * 4):  # one try from each of many addresses
        sign_in(engine, settings, password="guess-guess", client=f"198.51.100.{i}",
                now=T0 + timedelta(seconds=1))
    stranger = sign_in(engine, settings, client="203.0.113.5", now=T0 + timedelta(seconds=2))
    assert isinstance(stranger, TooManyAttempts)
    assert isinstance(sign_in(engine, settings, client="10.0.0.1",
                              now=T0 + timedelta(seconds=3)), User)


def test_one_address_guessing_many_accounts_is_locked(engine, settings):
    add(engine)
    limit = settings.login_max_failures * 4
    for i in range(limit):  # a different account each time: no account reaches its own limit
        sign_in(engine, settings, username=f"user{i}", client="198.51.100.9", now=T0)
    locked = sign_in(engine, settings, client="198.51.100.9", now=T0 + timedelta(seconds=1))
    assert isinstance(locked, TooManyAttempts)
    assert isinstance(sign_in(engine, settings, client="10.0.0.1",
                              now=T0 + timedelta(seconds=2)), User)


def test_weaker_hashes_are_upgraded_on_sign_in(engine, settings):
    user = add(engine)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with session_scope(engine) as s:
        row = s.get(User, user.id)
        row.password_hash = weak
        s.add(row)
    assert isinstance(sign_in(engine, settings), User)
    with Session(engine) as s:
        upgraded = s.get(User, user.id).password_hash
    assert upgraded != weak and "m=65536" in upgraded and verify_password(upgraded, PASSWORD)


def open_for(engine, settings, user, now=T0):
    with session_scope(engine) as s:
        return open_session(session=s, user=user, client="10.0.0.1", settings=settings, now=now)


def resolve(engine, token, now):
    with session_scope(engine) as s:
        return resolve_session(session=s, token=token, now=now)


def test_sessions_keep_only_a_hash_and_their_own_csrf_token(engine, settings):
    user = add(engine)
    first, second = open_for(engine, settings, user), open_for(engine, settings, user)
    assert len(first) >= 40 and first != second
    with Session(engine) as s:
        rows = s.exec(select(UserSession)).all()
    assert {r.token_hash for r in rows}.isdisjoint({first, second})
    assert rows[0].csrf_token != rows[1].csrf_token
    found, row = resolve(engine, first, T0 + timedelta(seconds=5))
    assert found.id == user.id and row.csrf_token in {r.csrf_token for r in rows}
    assert resolve(engine, "forged-token", T0) is None and resolve(engine, "", T0) is None


def test_sessions_expire_after_inactivity_and_slide_with_use(engine, settings):
    user = add(engine)
    hours = timedelta(hours=settings.session_hours)
    last_moment, idle = open_for(engine, settings, user), open_for(engine, settings, user)
    assert resolve(engine, last_moment, T0 + hours - timedelta(seconds=1)) is not None
    assert resolve(engine, idle, T0 + hours + timedelta(seconds=1)) is None
    with Session(engine) as s:  # the expired row is gone
        assert len(s.exec(select(UserSession)).all()) == 1

    busy = open_for(engine, settings, user)
    _, row = resolve(engine, busy, T0 + timedelta(seconds=30))
    assert row.last_seen_at.replace(tzinfo=UTC) == T0  # not written within the first minute
    used_at = T0 + hours - timedelta(minutes=5)
    assert resolve(engine, busy, used_at) is not None
    used_again = T0 + hours + timedelta(hours=1)  # past the first expiry: the use above extended it
    assert resolve(engine, busy, used_again) is not None
    assert resolve(engine, busy, used_again + hours + timedelta(seconds=1)) is None


def test_signing_out_disabling_or_a_new_password_end_sessions(engine, settings):
    user = add(engine)
    token = open_for(engine, settings, user)
    with session_scope(engine) as s:
        close_session(session=s, token=token)
    assert resolve(engine, token, T0) is None

    token = open_for(engine, settings, user)
    with session_scope(engine) as s:
        set_password(session=s, actor=SYSTEM, user=s.get(User, user.id), password="new-password-1")
    assert resolve(engine, token, T0) is None
    assert isinstance(sign_in(engine, settings, password="new-password-1"), User)
    assert isinstance(sign_in(engine, settings), AuthenticationFailed)

    token = open_for(engine, settings, user)
    with session_scope(engine) as s:
        disable_user(session=s, actor=SYSTEM, user=s.get(User, user.id))
    assert resolve(engine, token, T0) is None
    with Session(engine) as s:
        assert [e.action for e in entries(session=s, record_kind="user", record_id=user.id)
                if e.action.startswith("user.")] == ["user.disable", "user.password", "user.create"]
        assert entries(session=s, action="user.disable")[0].detail["sessions_ended"] == 1


def test_a_session_of_a_user_disabled_behind_its_back_is_refused(engine, settings):
    user = add(engine)
    token = open_for(engine, settings, user)
    with session_scope(engine) as s:  # e.g. an older tool flipping the flag directly
        row = s.get(User, user.id)
        row.active = False
        s.add(row)
    assert resolve(engine, token, T0) is None


def test_nobody_disables_their_own_account(engine):
    user = add(engine, username="root", roles=["admin"], department=None)
    with pytest.raises(Conflict, match="自己"), session_scope(engine) as s:
        disable_user(session=s, actor=Actor.of(user, "10.0.0.1"), user=s.get(User, user.id))

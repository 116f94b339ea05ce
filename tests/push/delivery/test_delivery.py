"""Channels against real loopback servers: email, webhook, inbox; retries, dead letters, suspension."""

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bench.receivers import SmtpReceiver, WebhookReceiver
from kb.database.db import session_scope
from push.delivery.channels.webhook import InvalidSignature, sign_body, verify_signature
from push.delivery.models import ChannelState, InboxMessage
from push.delivery.subscriptions import enable_channel
from tests.push.push_utils import (
    NOW,
    add_firms,
    make_settings,
    make_worker,
    publish,
    pushes,
    secret_lookup,
)


@pytest.fixture
def smtp():
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def hook(engine):
    with WebhookReceiver(secret_lookup(engine)) as receiver:
        yield receiver


def test_email_carries_key_reasons_deadline_tracked_link_and_unsubscribe(engine, tmp_path, smtp):
    from datetime import date

    add_firms(engine, 1, channels=["email"], contact_email="boss@firm.test")
    pid = publish(engine, doc_number="金政发〔2026〕3号", apply_to=date(2026, 12, 31),
                  industries_include=["C"])
    settings = make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.controller.port)
    report = make_worker(engine, settings).run_once(now=NOW)
    assert report.delivered == 1
    [msg] = smtp.messages
    key = f"pk-1-{pid}-v1-email-new"
    assert msg["Message-ID"] == f"<{key}@policykb>"
    assert msg["X-PolicyKB-Idempotency-Key"] == key
    assert msg["List-Unsubscribe"].startswith("<http://policykb.test/push/unsubscribe?token=")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "金湖县支持企业技术改造的若干措施" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "文号：金政发〔2026〕3号" in text and "申报截止：2026-12-31" in text
    assert "为什么推送给您：" in text and "3911" in text
    assert "http://policykb.test/push/r/" in text and "退订全部推送" in text
    assert "退订“技术改造”主题" in text
    assert "/push/o/" in html and "查看政策详情" in html
    [row] = pushes(engine)
    assert row.status == "delivered" and row.detail.startswith("SMTP 250")


def test_hard_bounce_dead_letters_and_suspends_email_until_re_enabled(engine, tmp_path, smtp):
    add_firms(engine, 1, channels=["email"], contact_email="bounce@firm.test")
    publish(engine)
    publish(engine, title="第二项政策")
    settings = make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.controller.port)
    report = make_worker(engine, settings).run_once(now=NOW)
    first, second = pushes(engine)
    assert first.status == "dead" and "550" in first.last_error
    assert second.status == "held" and "渠道已暂停" in second.last_error
    assert report.dead == 1 and report.held == 1 and smtp.messages == []
    with Session(engine) as session:
        state = session.exec(select(ChannelState)).one()
    assert state.suspended_at is not None and "硬退信" in state.suspended_reason
    with session_scope(engine) as session:
        assert enable_channel(session=session, firm_id=1, channel="email") == 1
    assert pushes(engine)[1].status == "pending"


def test_webhook_is_signed_and_verified_by_the_receiver(engine, tmp_path, hook):
    add_firms(engine, 1, channels=["webhook"], webhook_url=hook.url + "/ok")
    pid = publish(engine)
    make_worker(engine, make_settings(tmp_path)).run_once(now=NOW)
    [data] = hook.accepted
    assert hook.rejected == [] and data["key"] == f"pk-1-{pid}-v1-webhook-new"
    item = data["items"][0]
    assert item["policy"]["url"] == f"http://policykb.test/policies/{pid}"
    assert item["reasons"] and item["link"].startswith("http://policykb.test/push/r/")
    assert data["links"]["unsubscribe"].startswith("http://policykb.test/push/unsubscribe?token=")


def test_webhook_500_is_retried_with_backoff_then_delivered(engine, tmp_path, hook):
    add_firms(engine, 1, channels=["webhook"], webhook_url=hook.url + "/flaky")
    publish(engine)
    hook.script["/flaky"] = [500, 503]
    worker = make_worker(engine, make_settings(tmp_path, push_backoff_s=30))
    worker.run_once(now=NOW)
    [row] = pushes(engine)
    assert row.status == "pending" and row.attempts == 1 and "HTTP 500" in row.last_error
    assert 30 <= (row.due_at - NOW).total_seconds() <= 36  # first delay, with jitter
    assert worker.run_once(now=NOW + timedelta(seconds=10)).delivered == 0  # not due yet
    worker.run_once(now=NOW + timedelta(seconds=40))
    [row] = pushes(engine)
    assert row.attempts == 2 and 60 <= (row.due_at - NOW - timedelta(seconds=40)).total_seconds() <= 72
    worker.run_once(now=NOW + timedelta(seconds=200))
    [row] = pushes(engine)
    assert row.status == "delivered" and len(hook.accepted) == 1
    assert [s for _, s in hook.requests] == [500, 503, 200]


def test_permanent_4xx_dead_letters_at_once_but_429_retries(engine, tmp_path, hook):
    add_firms(engine, 1, channels=["webhook"], webhook_url=hook.url + "/gone")
    add_firms(engine, 1, start=1, channels=["webhook"], webhook_url=hook.url + "/busy")
    publish(engine)
    hook.script["/gone"], hook.script["/busy"] = [400], [429]
    make_worker(engine, make_settings(tmp_path)).run_once(now=NOW)
    gone, busy = pushes(engine)
    assert gone.status == "dead" and gone.attempts == 1 and "HTTP 400" in gone.last_error
    assert busy.status == "pending" and busy.attempts == 1


def test_max_attempts_dead_letters(engine, tmp_path, hook):
    add_firms(engine, 1, channels=["webhook"], webhook_url=hook.url + "/down")
    publish(engine)
    hook.script["/down"] = [500] * 10
    worker = make_worker(engine, make_settings(tmp_path, push_max_attempts=3), suspend_after=99)
    for hours in range(4):
        worker.run_once(now=NOW + timedelta(hours=hours))
    [row] = pushes(engine)
    assert row.status == "dead" and row.attempts == 3 and "第3次失败" in row.last_error


def test_consecutive_webhook_failures_suspend_the_channel(engine, tmp_path, hook):
    add_firms(engine, 1, channels=["webhook"], webhook_url=hook.url + "/down")
    for n in range(4):
        publish(engine, title=f"政策{n}")
    hook.script["/down"] = [500] * 3
    make_worker(engine, make_settings(tmp_path), suspend_after=3).run_once(now=NOW)
    statuses = [p.status for p in pushes(engine)]
    assert statuses == ["pending", "pending", "held", "held"]
    with Session(engine) as session:
        state = session.exec(select(ChannelState)).one()
    assert state.consecutive_failures == 3 and "连续失败3次" in state.suspended_reason
    with session_scope(engine) as session:
        assert enable_channel(session=session, firm_id=1, channel="webhook", now=NOW) == 2  # the held
    make_worker(engine, make_settings(tmp_path)).run_once(now=NOW + timedelta(hours=1))
    assert [p.status for p in pushes(engine)] == ["delivered"] * 4


def test_inbox_message_is_written_once(engine, tmp_path):
    add_firms(engine, 1)
    publish(engine)
    make_worker(engine, make_settings(tmp_path)).run_once(now=NOW)
    with Session(engine) as session:
        [msg] = session.exec(select(InboxMessage)).all()
    assert "金湖县支持企业技术改造的若干措施" in msg.subject and "为什么推送给您" in msg.body


def test_verify_signature_rejects_tampering_wrong_secret_and_replays():
    body = json.dumps({"a": 1}).encode()
    header = sign_body(secret="s3cret", body=body, timestamp=1_000_000)
    assert verify_signature(secret="s3cret", body=body, header=header, now=1_000_100) == 1_000_000
    with pytest.raises(InvalidSignature, match="签名不匹配"):
        verify_signature(secret="s3cret", body=body + b" ", header=header, now=1_000_100)
    with pytest.raises(InvalidSignature, match="签名不匹配"):
        verify_signature(secret="other", body=body, header=header, now=1_000_100)
    forged = header.replace("t=1000000", "t=1000200")  # a fresh timestamp on an old signature
    with pytest.raises(InvalidSignature, match="签名不匹配"):
        verify_signature(secret="s3cret", body=body, header=forged, now=1_000_250)
    with pytest.raises(InvalidSignature, match="5分钟"):
        verify_signature(secret="s3cret", body=body, header=header, now=1_000_301)
    with pytest.raises(InvalidSignature, match="格式"):
        verify_signature(secret="s3cret", body=body, header="garbage", now=1_000_000)


def test_stale_webhook_is_rejected_by_the_receiver(engine, tmp_path, hook):
    add_firms(engine, 1, channels=["webhook"], webhook_url=hook.url + "/ok")
    publish(engine)
    worker = make_worker(engine, make_settings(tmp_path))
    worker.channels["webhook"].clock = lambda: 1_000.0  # a sender clock far in the past
    worker.run_once(now=NOW)
    assert hook.accepted == [] and "5分钟" in hook.rejected[0]
    [row] = pushes(engine)
    assert row.status == "dead" and "HTTP 401" in row.last_error


def test_sms_is_short_chinese_text_with_a_short_tracked_link(engine, tmp_path):
    from bench.receivers import SmsGateway

    with SmsGateway() as gateway:
        add_firms(engine, 1, channels=["sms"], contact_phone="13800000000")
        publish(engine, title="金湖县关于支持中小微企业开展数字化转型和智能化改造的若干政策措施实施细则")
        settings = make_settings(tmp_path, sms_gateway_url=gateway.url, sms_gateway_token="tok")
        assert make_worker(engine, settings).run_once(now=NOW).delivered == 1
    [msg] = gateway.messages
    text, link = msg["text"].rsplit(" ", 1)
    assert msg["phone"] == "13800000000" and msg["key"].endswith("-sms-new")
    assert len(text) <= 70 and text.startswith("【政策通】政策推送：金湖县")
    assert link.startswith("http://policykb.test/push/r/") and len(link) < 50
    assert gateway.tokens == ["Bearer tok"]

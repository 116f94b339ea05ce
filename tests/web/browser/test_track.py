"""/track in Chromium: the timeline for a right ref and code, one neutral answer otherwise."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from kb.database.db import session_scope
from kb.staff.models import User
from push.applications.models import Node
from push.applications.service import advance, create, handler_for
from tests.push.applications.app_utils import seed

pytestmark = pytest.mark.browser


def test_track_shows_the_timeline_and_one_neutral_message(site, page, shot):
    s = seed(site.engine)
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with session_scope(site.engine) as session:
        clerk = handler_for(session.exec(select(User).where(User.username == "kj-clerk")).one())
        app = create(session=session, handler=clerk, uscc=s.uscc, policy_id=s.policy_id,
                     at=long_ago)
        advance(session=session, handler=clerk, ref=app.ref, to=Node.ACCEPTED,
                note="材料齐全，已受理", at=long_ago + timedelta(hours=3))
        ref = app.ref

    def look_up(number: str, code: str) -> None:
        page.goto(f"{site.api}/track")
        page.get_by_label("申报编号").fill(number)
        page.get_by_label("统一社会信用代码后6位").fill(code)
        page.get_by_role("button", name="查询").click()

    look_up(ref.lower(), s.uscc[-6:].lower())
    result = page.get_by_role("region", name="查询结果")
    expect(result).to_contain_text("已受理")
    steps = result.get_by_role("listitem")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("已提交")
    expect(steps.nth(1)).to_contain_text("材料齐全，已受理")
    expect(steps.nth(1)).to_contain_text("承诺3个工作日")
    expect(steps.nth(1)).to_contain_text("已超期")  # accepted 40 days ago and still there
    expect(result).to_contain_text("金湖县高新技术企业奖励办法")
    for private in (s.uscc, "金湖星火科技有限公司", "13800000000"):
        assert private not in page.content()
    shot(page, "found")

    look_up(ref, "000000")
    wrong_code = page.get_by_role("status").inner_text()
    look_up("SB2222222222", s.uscc[-6:])
    unknown_ref = page.get_by_role("status").inner_text()
    assert wrong_code == unknown_ref and "未查到相符的申报" in wrong_code
    expect(page.get_by_role("region", name="查询结果")).to_have_count(0)

"""``policykb push ...`` end to end through the command line entry point."""

from datetime import date

from kb.cli.main import main
from kb.config import get_settings
from kb.database.db import create_schema, make_engine
from tests.push.push_utils import add_firms, publish


def test_run_remind_funnel_enable_and_link(cli_env, capsys):
    engine = make_engine(get_settings().db_url)
    get_settings().ensure_dirs()
    create_schema(engine)
    add_firms(engine, 2)
    publish(engine, apply_to=date(2030, 1, 15))
    assert main(["push", "run"]) == 0
    assert "送达2" in capsys.readouterr().out
    assert main(["push", "remind", "--today", "2030-01-01"]) == 0
    assert "新建申报提醒2条" in capsys.readouterr().out
    assert main(["push", "remind", "--today", "2030-01-01"]) == 0
    assert "新建申报提醒0条" in capsys.readouterr().out
    assert main(["push", "funnel", "--csv"]) == 0
    out = capsys.readouterr().out
    assert "推送,送达,打开,点击,已申报" in out and ",2,2,0,0,0" in out
    from push.matching.synthetic import make_uscc

    assert main(["push", "enable", "--firm", make_uscc(0), "--channel", "email"]) == 0
    assert "重新排队0条" in capsys.readouterr().out
    assert main(["push", "link", "--firm", make_uscc(0)]) == 0
    assert "/push/firm?token=" in capsys.readouterr().out
    assert main(["push", "status"]) == 0
    out = capsys.readouterr().out
    assert "delivered\t2" in out and "pending\t2" in out  # the two reminders wait for the worker
    engine.dispose()

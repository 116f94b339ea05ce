"""Each package owns its settings: kb declares kb's, push and web their own, from the same KB_ variables."""

import pytest
from pydantic import ValidationError

from kb.config import Settings, section_kinds
from push.settings import PushSettings, push_settings
from web.settings import WebSettings, web_settings

pytestmark = pytest.mark.no_database


def test_push_and_web_register_their_settings_and_kb_declares_none_of_theirs():
    assert set(section_kinds()) == {PushSettings, WebSettings}
    for kind in (PushSettings, WebSettings):
        assert not set(kind.model_fields) & set(Settings.model_fields), kind.__name__
    assert not set(PushSettings.model_fields) & set(WebSettings.model_fields)


def test_the_environment_reaches_each_package(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KB_SMTP_HOST", "mail.jinhu.gov.cn")
    monkeypatch.setenv("KB_SITE_NAME", "某某县政策服务")
    monkeypatch.setenv("KB_HOTLINE", "0517-12345")
    settings = Settings()
    assert settings.hotline == "0517-12345"
    assert push_settings(settings).smtp_host == "mail.jinhu.gov.cn"
    assert web_settings(settings).site_name == "某某县政策服务"


def test_values_given_to_settings_reach_their_package_and_copies_keep_their_own():
    settings = Settings(smtp_port=2525, ask_rate_limit=3)
    assert push_settings(settings).smtp_port == 2525
    assert web_settings(settings).ask_rate_limit == 3
    copy = settings.model_copy(update={"ask_rate_limit": 7})
    assert web_settings(copy).ask_rate_limit == 7
    assert web_settings(settings).ask_rate_limit == 3  # the original is not changed by its copy
    assert push_settings(copy).smtp_port == 2525


def test_a_bad_value_stops_the_settings_with_its_name(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KB_PUSH_DAILY_CAP", "0")
    with pytest.raises(ValidationError, match="push_daily_cap"):
        Settings()


def test_a_misspelt_setting_is_refused():
    with pytest.raises(ValidationError, match="unknown settings: smtp_hots"):
        Settings(smtp_hots="mail")


def test_the_cli_names_a_bad_setting_instead_of_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str],
                                                             tmp_path):
    from kb.cli.main import main
    from kb.config import get_settings

    monkeypatch.setenv("KB_HOME", str(tmp_path))
    monkeypatch.setenv("KB_PUSH_DAILY_CAP", "0")
    get_settings.cache_clear()  # read afresh, as a new process would
    try:
        assert main(["ask", "技改补贴"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "KB_PUSH_DAILY_CAP" in err and "Traceback" not in err

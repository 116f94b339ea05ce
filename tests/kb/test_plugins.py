"""Entry points: an installation that registers nothing in a required group is refused, by name."""

import pytest

from kb import plugins
from kb.cli.main import main

pytestmark = pytest.mark.no_database


def test_this_installation_registers_every_required_group():
    plugins.require()
    assert plugins.load("listeners") and plugins.load("tables") and plugins.load("commands")


def test_an_empty_required_group_is_refused_naming_what_would_be_missing():
    groups = dict(plugins.REQUIRED) | {"no-such-group": "推送发件箱"}
    with pytest.raises(plugins.NotInstalled) as caught:
        plugins.require(groups)
    assert "policykb.no-such-group（推送发件箱）" in caught.value.message
    assert "pip install -e ." in caught.value.message
    assert "policykb.listeners" not in caught.value.message  # registered: not named


def test_the_cli_says_so_and_exits_2(monkeypatch, capsys):
    monkeypatch.setitem(plugins.REQUIRED, "no-such-group", "推送发件箱")
    assert main(["--help"]) == 2
    assert "未正确安装" in capsys.readouterr().err

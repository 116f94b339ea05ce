"""The demo's 申兑指南, written from the demo policies' own clauses (kb/demo/policies.jsonl)."""

from typing import Any

EQ = "equipment_investment"
GRADUATES = "graduate_hires"  # 招用离校2年内未就业高校毕业生人数, never 新增就业

GUIDES: dict[str, dict[str, Any]] = {
    # 金政发〔2024〕12号 第四、五、十四条: one subsidy on two terms, 规上 (第四条: ≥300万 at 8%, ≤300万)
    # or 规下 (第五条: ≥200万 at 6%, ≤50万); 县级与上级补助累计 ≤ 设备投资额35%. 工业 (C) only: the
    # policy's industries_include, judged by the matcher before these rules.
    "id:jh-2024-tech-01": {
        "title": "工业企业技术改造设备投资补助申兑指南", "mode": "ordinary",
        "beneficiaries": "在金湖县注册登记、依法纳税的工业企业（规上、规下均可）",
        "materials": ["项目备案证明", "设备购置增值税专用发票", "设备安装调试验收资料", "专项审计报告"],
        "where": "“一企来”企业服务平台；县政务服务中心工信窗口", "phone": "0517-86881234",
        "rules": {
            "measures": [
                {"key": "equipment", "name": "设备投资补助", "any": [
                    {"name": "规上企业",
                     "conditions": [{"qualification": "规模以上工业企业"},
                                    {"fact": EQ, "op": ">=", "value": 300, "year": -1}],
                     "benefit": {"kind": "rate", "fact": EQ, "year": -1, "rate": 8, "cap": 300}},
                    {"name": "规下企业",
                     "conditions": [{"qualification": "规模以上工业企业", "held": False},
                                    {"fact": EQ, "op": ">=", "value": 200, "year": -1}],
                     "benefit": {"kind": "rate", "fact": EQ, "year": -1, "rate": 6, "cap": 50}},
                ]},
            ],
            "combine": {"total_cap": {"rate": 35, "fact": EQ, "year": -1}},
        },
    },
    # 金科发〔2024〕8号 二、: 首次认定30万元分两次兑现（次年营收增长10%以上再兑现15万元）；重新认定10万元；就高。
    "id:jh-2024-sci-01": {
        "title": "高新技术企业认定奖励（免申即享）", "mode": "direct", "promised_days": 20,
        "beneficiaries": "当年首次认定或重新认定的高新技术企业",
        "materials": ["无需申报：县科技局按认定名单和统计数据比对后直接兑现"],
        "where": "无需申报", "phone": "0517-86880001",
        "rules": {
            "conditions": [{"qualification": "高新技术企业"}],
            "measures": [
                {"key": "first", "name": "首次认定奖励",
                 "conditions": [{"fact": "hitech_first", "op": "is", "value": True}],
                 "benefit": {"kind": "fixed", "amount": 30},
                 "instalments": [
                     {"label": "认定当年兑现", "amount": 15},
                     {"label": "认定次年营业收入增长10%以上再兑现", "amount": 15, "offset": 1,
                      "conditions": [{"fact": "revenue_growth", "op": ">=", "value": 10, "year": 1}]}]},
                {"key": "renewed", "name": "重新认定奖励",
                 "conditions": [{"fact": "hitech_renewed", "op": "is", "value": True}],
                 "benefit": {"kind": "fixed", "amount": 10}},
            ],
            "combine": {"exclusive": [["first", "renewed"]]},
        },
    },
    # 金工信〔2024〕5号 一、2.: 首次认定省级专精特新中小企业奖励20万元。
    "id:jh-2024-sci-02": {
        "title": "专精特新中小企业认定奖励申兑指南", "mode": "ordinary",
        "beneficiaries": "首次被认定为省级专精特新中小企业的企业",
        "materials": ["认定文件", "企业营业执照"], "where": "“一企来”企业服务平台", "phone": "0517-86881234",
        "rules": {"conditions": [{"qualification": "专精特新中小企业"}],
                  "measures": [{"key": "srdi", "name": "省级专精特新中小企业奖励",
                                "benefit": {"kind": "fixed", "amount": 20}}]},
    },
    # 金人社规〔2023〕2号 三、1.: 招用离校2年内未就业高校毕业生（签1年以上合同、缴社保满3个月），每人1500元。
    "id:jh-2023-talent-02": {
        "title": "企业吸纳高校毕业生就业补贴（快申快享）", "mode": "fast", "promised_days": 20,
        "beneficiaries": "招用离校2年内未就业高校毕业生并缴纳社会保险满3个月的县内企业",
        "materials": ["劳动合同", "社会保险缴纳记录"], "where": "“金湖就业”小程序", "phone": "0517-86882345",
        "rules": {"measures": [{"key": "absorb", "name": "吸纳就业补贴",
                                "conditions": [{"fact": GRADUATES, "op": ">=", "value": 1, "year": -1}],
                                "benefit": {"kind": "per_person", "fact": GRADUATES, "year": -1,
                                            "per": 0.15}}]},
    },
}

# The county's own facts the demo guides read (beyond the built-in ones).
COUNTY_FACTS = (("hitech_first", "当年首次认定高新技术企业", "bool"),
                ("hitech_renewed", "当年重新认定高新技术企业", "bool"))

# Facts per demo firm (index into push.demo.firms.FIRMS): (fact, year, value, source department).
FACTS = {
    0: [(EQ, 2025, 800, "县工信局"), ("revenue_growth", 2025, 12, "县统计局"), ("rd_expense", 2025, 1300, "县税务局"),
        ("new_jobs", 2025, 18, "县人社局"), (GRADUATES, 2025, 4, "县人社局"), ("tax_paid", 2025, 960, "县税务局")],
    1: [(EQ, 2025, 2600, "县工信局"), ("revenue_growth", 2025, 8, "县统计局"), ("hitech_first", 2026, True, "县科技局"),
        ("new_jobs", 2025, 25, "县人社局")],
    2: [(EQ, 2025, 6000, "县工信局"), ("revenue_growth", 2025, 15, "县统计局"), ("hitech_renewed", 2026, True, "县科技局"),
        ("new_jobs", 2025, 40, "县人社局")],
    3: [("hitech_first", 2026, True, "县科技局"), ("rd_expense", 2025, 420, "县税务局"), ("new_jobs", 2025, 9, "县人社局")],
    4: [(EQ, 2025, 150, "县工信局"), ("new_jobs", 2025, 6, "县人社局")],
    5: [("revenue_growth", 2025, 5, "县统计局")],
    6: [(EQ, 2024, 260, "县工信局")],  # last year's figure is missing: the calculator says so
}  # fmt: skip

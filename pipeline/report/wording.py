"""The wording of the report draft, section by section in the seeds' order (一 … 六). Pure.

Sentence patterns follow §6.1 of the indicator reference and the two seed reports. Each
`part` is left out when its figure is 0 or blank; labels of the sanction categories are the
printed wording of §6.1 (党内警告…, 政务警告…), in the official order of §3.1 and §3.2.
"""

from __future__ import annotations

from pipeline.form.categories import (
    CLUES,
    EPR_HL,
    FORM_WORDS,
    FORMS,
    GOV_LABELS,
    ORG_HANDLING,
    PARTY_LABELS,
)
from pipeline.report.facts import Facts, SectionBuilder, join_dates


def _listed(f: Facts, labels, unit: str) -> str | None:
    return f.join([f.part(f"{label}{{{code}}}{unit}") for code, label in labels])


def political(f: Facts, b: SectionBuilder) -> None:
    party = f"{f.root.name}党组"
    b.add(f"{f.period}，", [f.part("全系统召开党组（党委）会议{DEC_PG_MTGS}次")])
    items = f.join([f.part("重大决策{DEC_3Z1D_DECISION}项"), f.part("重要人事任免{DEC_3Z1D_PERSONNEL}项"),
                    f.part("重大项目安排{DEC_3Z1D_PROJECT}项"), f.part("大额资金使用{DEC_3Z1D_FUNDS}项")])  # fmt: skip
    b.add(f"{party}严格落实“三重一大”议事规则（本级），", [
        f.part("召开“三重一大”决策会议{DEC_3Z1D_MTGS}次"),
        f.part("集体研究“三重一大”事项{DEC_3Z1D_ITEMS}项", f"（{items}）" if items else None),
        f.part("{DEC_3Z1D_HALTED}项列入党组会议题被“叫停”"),
        f.part("{DEC_FUNDS_ADJUSTED}项经费事宜作调整"),
    ])  # fmt: skip
    tasks = f.own("DEC_KEY_TASKS")
    if tasks:
        f.note("DEC_KEY_TASKS")
    b.add(
        "",
        [
            f.part("全系统研究调整干部{DEC_CADRE_ADJUSTED}人次"),
            f"顺利完成{tasks}等工作任务" if tasks else None,
        ],
    )
    life = f.join([
        f.part("召开领导班子民主生活会{ORG_DEM_LIFE_MTG}次", "（其中以案促改专题民主生活会{ORG_SPECIAL_DEM_LIFE}次）"),
        f.part("组织生活会{ORG_ORG_LIFE_MTG}次", "（其中专题组织生活会{ORG_SPECIAL_ORG_LIFE}次）"),
    ])  # fmt: skip
    b.add("严格落实党的组织生活制度，全系统", [
        f.join([f.part("召开支部党员大会{ORG_BRANCH_GM}次"), f.part("支部委员会{ORG_BRANCH_CMTE}次"),
                f.part("党小组会{ORG_GROUP_MTG}次"), f.part("上党课{ORG_PARTY_LECTURE}次")]), life,
    ], sep="；")  # fmt: skip
    b.add("", [f.part("领导干部参加双重组织生活{ORG_DUAL_LIFE}人次"), f.part("开展谈心谈话{ORG_HEART_TALK}人次"),
               f.part("报告重大事项{ORG_REQUEST_REPORT}件"), f.part("开展主题党日活动{ORG_THEME_PARTY_DAY}次")])  # fmt: skip


def education(f: Facts, b: SectionBuilder) -> None:
    due, signed = f.n("RESP_LETTER_DUE"), f.n("RESP_LETTER_SIGNED")
    coverage = f"（应签{due}份，签订率{f.percent(signed, due)}）" if due else None
    if due and signed:
        f.note("RESP_LETTER_DUE")
    b.add("", [f.part("召开党风廉政建设和反腐败工作会议{EDU_WORK_CONF}次"),
               f.part("编制重点工作细化措施{EDU_TASK_MEASURES}条（本级）"),
               f.part(f"签订{f.year}年党风廉政建设责任书{{RESP_LETTER_SIGNED}}份", coverage)])  # fmt: skip
    minimum = f.result.totals.get("EDU_NOTES_MIN_PP")
    notes = (
        f.part("党员干部撰写学习笔记均在{EDU_NOTES_MIN_PP}篇以上")
        if minimum and minimum.value
        else None
    )
    b.add("全系统", [
        f.part("组织中心组理论学习{EDU_CG_STUDY}次", "，其中专题研讨{EDU_CG_SEMINAR}次"),
        f.join([f.part("开展“第一议题”学习{EDU_FIRST_TOPIC}次"), f.part("专题学习{EDU_SPECIAL_STUDY}次"),
                f.part("党章党规学习{EDU_REG_STUDY}次")]), notes,
    ], sep="；")  # fmt: skip
    b.add("", [
        f.join([f.part("领导干部带头讲党课{EDU_LEADER_LECTURE}次"), f.part("“一把手”讲廉政党课{EDU_TOP_INTEGRITY_LECTURE}次")], "，"),
        f.join([f.part("组织赴红色教育基地现场学习{EDU_RED_BASE}次"), f.part("学习违反中央八项规定精神典型问题通报{EDU_CASE_BULLETIN_STUDY}次")]),
        f.join([f.part("观看警示教育片{EDU_WARNING_FILM}次", "（{EDU_WARNING_FILM_ATT}人次参加）"),
                f.part("廉政教育片{EDU_INTEGRITY_FILM}次")]),
        f.join([f.part("发布廉洁文化宣传推文{EDU_PUBLICITY_POSTS}篇"), f.part("发出廉洁过节提醒{EDU_HOLIDAY_REMINDERS}次")], "，"),
    ], sep="；")  # fmt: skip


def discipline(f: Facts, b: SectionBuilder) -> None:
    b.add("全系统", [
        f.part("抓住重要时间节点印发作风建设（廉洁过节）通知{STY_NOTICES}份"),
        f.part("开展业务招待费、差旅费、公务用车等专项检查{STY_SPECIAL_CHECKS}次", "、发现问题{STY_SPECIAL_CHECK_ISSUES}个"),
        f.part("开展“四风”问题专项整治{STY_SPECIAL_RECTIFY}次"),
        f.part("开展在岗抽查{STY_ATTEND_CHECKS}次", "，发现串岗、脱岗、迟到早退{STY_ATTEND_VIOL}人次"),
    ])  # fmt: skip
    b.add("", [
        f.part("开展形式主义、官僚主义问题自查自纠{STY_FB_SELFCHECK}次", "，查摆问题{STY_FB_ISSUES}个", "、已整改{STY_FB_RECTIFIED}个"),
        f.part("落实为基层减负措施{STY_BURDEN_MEASURES}条"),
        f.part("召开节前廉政谈话（提醒）会议{STY_PREHOLIDAY_TALK_MTG}次", "、{STY_PREHOLIDAY_TALK_ATT}人次参加"),
    ], sep="；")  # fmt: skip
    kinds = _listed(f, EPR_HL, "起")
    b.add(f"{f.period}，全系统", [
        f.part("查处违反中央八项规定精神问题{EPR_TOTAL_CASES}起", "，批评教育和处理{EPR_TOTAL_HANDLED}人", "，其中党纪政务处分{EPR_TOTAL_SANCTIONED}人"),
        f.join([f.part("形式主义、官僚主义问题{EPR_FB_CASES}起"),
                f.part("享乐主义、奢靡之风问题{EPR_HL_CASES}起", f"（{kinds}）" if kinds else None)], "，"),
    ], sep="；按问题类型分，", empty=f"{f.period}，全系统未发现违反中央八项规定精神问题。")  # fmt: skip
    party, gov = _listed(f, PARTY_LABELS, "人"), _listed(f, GOV_LABELS, "人")
    b.add(f"{f.period}，", [f"给予{party}" if party else None, f"给予{gov}" if gov else None,
                           f.part("以上共处分{DISC_PERSONS}人（同一人同时受党纪政务处分的计1人）")],
          sep="；", empty=f"{f.period}未发生党员干部受党纪政务处分情况。")  # fmt: skip
    handling = _listed(f, ORG_HANDLING, "人次")
    b.add(
        "",
        [
            f"对相关人员进行组织处理（{handling}）" if handling else None,
            f.part("问责{ACCT_PERSONS}人"),
        ],
    )
    total = sum(f.n(c) for c in FORMS)
    if total:
        f.note(*FORMS)
        parts = [
            f"运用{w}{f.n(c)}人次，占{f.percent(f.n(c), total)}"
            for c, w in zip(FORMS, FORM_WORDS, strict=True)
            if f.n(c)
        ]
        b.add(f"运用监督执纪“四种形态”批评教育帮助和处理共{total}人次。其中，", parts, sep="；")
    clues = _listed(f, CLUES, "件")
    b.add("", [f.part("处置问题线索{CLUE_TOTAL}件", f"，其中{clues}" if clues else None)])


def supervision(f: Facts, b: SectionBuilder) -> None:
    b.add("全系统", [
        f.part("开展“四不两直”检查{SUP_4B2Z_CHECKS}次", "，发现问题{SUP_4B2Z_ISSUES}个", "，提出改进措施{SUP_4B2Z_MEASURES}条"),
        f.part("开展监督检查{SUP_CHECKS}次", "，覆盖被检查单位{SUP_UNITS_CHECKED}家"),
        f.join([f.part("开展专项督查{SUP_SPECIAL_SUPERVISION}次"), f.part("成立督查组{SUP_TEAMS}个"), f.part("通报检查情况{SUP_BULLETINS}次")], "，"),
    ], sep="；")  # fmt: skip
    b.add("全系统", [f.part("召开全面从严治党、党风廉政建设专题会议{MTG_PARTY_CONDUCT_SPECIAL}次"),
                    f.part("邀请派驻纪检组列席重要会议{SUP_DISC_ATTEND}次")])  # fmt: skip
    meetings = _attended_meetings(f)
    if meetings:
        f.note("MEETINGS")
        b.add(f"其中，{f.root.name}本级：", meetings, sep="；")
    b.add("", [
        f.part("排查廉政风险点{RISK_POINTS}个", "，制定防控措施{RISK_MEASURES}条"),
        f.join([f.part("制定责任清单{RISK_RESP_LIST}份", "（{RISK_RESP_LIST_ITEMS}条）"),
                f.part("权力清单{RISK_POWER_LIST}份", "（{RISK_POWER_LIST_ITEMS}条）"),
                f.part("负面清单{RISK_NEG_LIST}份", "（{RISK_NEG_LIST_ITEMS}条）")]),
        f.part("印发制度文件{DOC_ISSUED}份"),
    ], sep="；")  # fmt: skip


def _attended_meetings(f: Facts) -> list[str]:
    """The office's own meetings attended by the 派驻纪检组, by type; the attendee is “***”."""
    frame = f.result.ledgers.get("MEETINGS")
    if frame is None or not len(frame):
        return []
    mine = frame[(frame["单位编码"] == f.root.code) & (frame["disc_attend"] == "是")]
    phrases = []
    for kind in f.form.code_lists.get("会议类型", ()):
        rows = mine[mine["meeting_type"] == kind].sort_values("meeting_date")
        if not len(rows):
            continue
        dates = [
            f"{d.month}月{d.day}日{t or ''}"
            for d, t in zip(rows["meeting_date"], rows["time_of_day"], strict=True)
        ]
        official = f.form.code_lists.get("列席人职务", ())
        present = set(rows["attendee_role"])
        role = "、".join(r for r in official if r in present and r != "其他")
        phrases.append(f"{join_dates(dates)}召开{kind}，邀请派驻纪检组{role}***列席指导")
    return phrases


def inspection(f: Facts, b: SectionBuilder) -> None:
    body = f.own("INS_XS_BODY")
    if body:
        f.note("INS_XS_BODY")
    report = "，已形成巡视整改情况自查报告" if f.own("INS_XS_SELFCHECK_DONE") == "是" else None
    b.add(f"{f.root.name}（本级）", [
        f.part(f"接受{body or '上级'}巡视，巡视反馈问题{{INS_XS_ISSUES}}个", "，已整改{INS_XS_RECTIFIED}个", report),
    ])  # fmt: skip
    b.add(
        "全系统",
        [f.part("主题教育检视问题{RECT_THEME_ISSUES}个", "，已整改{RECT_THEME_DONE}个")],
    )
    if f.own("INS_PLAN_ISSUED") == "是":
        plan = f.join(
            [f.part("{INS_PLAN_SUB_UNITS}家下属单位"), f.part("{INS_PLAN_DEPTS}个有关部门")], "和"
        )
        b.add(f"制定{f.year}年度党委巡察工作计划，", [
            f"计划对{plan}开展巡察" if plan else None,
            f.part(f"{'并' if plan else '计划'}对{f.year - 1}年巡察的{{INS_LOOKBACK_PLAN}}家单位开展“回头看”"),
        ], empty=f"制定{f.year}年度党委巡察工作计划。")  # fmt: skip
    done = f.join(
        [f.part("{INS_DONE_SUB_UNITS}家下属单位"), f.part("{INS_DONE_DEPTS}个有关部门")], "和"
    )
    b.add(f"{f.period}，", [
        f"已完成对{done}的巡察" if done else None,
        f.part("完成“回头看”{INS_LOOKBACK_DONE}家"),
        f.part("巡察发现问题{INS_ISSUES}个", "，已整改{INS_RECTIFIED}个"),
        f.part("移交问题线索{INS_CLUES_TRANSFERRED}件", "、已办结{INS_CLUES_CLOSED}件"),
    ])  # fmt: skip


def leadership(f: Facts, b: SectionBuilder) -> None:
    b.add("全系统", [
        f.part("党组（党委）会研究党风廉政建设议题{LDR_PG_INTEGRITY_TOPICS}次"),
        f.join([f.part("领导干部制定落实“一岗双责”工作方案{LDR_RESP_PLANS}份"), f.part("开展责任落实情况自我分析{LDR_RESP_REVIEWS}次")], "，"),
        f.join([f.part("签订廉洁从政和作风建设承诺书{LDR_COMMITMENTS}份"), f.part("开展廉洁过节情况自查{LDR_HOLIDAY_SELFCHECK}人次")], "，"),
        f.part("开展领导干部廉政教育{LDR_INTEGRITY_EDU}次"),
    ], sep="；")  # fmt: skip


# (definition section id, Chinese number, writer), in the seeds' order.
SECTIONS = (
    ("S1", "一", political),
    ("S2", "二", education),
    ("S3", "三", discipline),
    ("S4", "四", supervision),
    ("S5", "五", inspection),
    ("S6", "六", leadership),
)

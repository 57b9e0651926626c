"""The official categories in their official order, with the wording a report prints for each
(§3.1 党纪处分, §3.2 政务处分, 组织处理, 享乐主义奢靡之风, 问题线索处置, 四种形态; the indicator
reference §6.1). The report draft and the charts list categories in this order.
"""

from __future__ import annotations

PARTY_LABELS = (
    ("DISC_PARTY_WARNING", "党内警告"),
    ("DISC_PARTY_SERIOUS_WARNING", "党内严重警告"),
    ("DISC_PARTY_REMOVAL", "撤销党内职务"),
    ("DISC_PARTY_PROBATION", "留党察看"),
    ("DISC_PARTY_EXPULSION", "开除党籍"),
)
GOV_LABELS = (
    ("DISC_GOV_WARNING", "政务警告"),
    ("DISC_GOV_DEMERIT", "记过"),
    ("DISC_GOV_MAJOR_DEMERIT", "记大过"),
    ("DISC_GOV_DEMOTION", "降级"),
    ("DISC_GOV_DISMISSAL", "撤职"),
    ("DISC_GOV_EXPULSION", "开除"),
    ("DISC_INST_POSTDOWN", "降低岗位等级"),
)
ORG_HANDLING = (("ORGH_SUSPEND", "停职检查"), ("ORGH_REASSIGN", "调整职务"),
                ("ORGH_ORDERED_RESIGN", "责令辞职"), ("ORGH_REMOVE", "免职"), ("ORGH_DEMOTE", "降职"))  # fmt: skip
EPR_HL = (("EPR_HL_GIFTS_CASES", "违规收送名贵特产和礼品礼金"), ("EPR_HL_DINING_CASES", "违规吃喝"),
          ("EPR_HL_WEDFUN_CASES", "违规操办婚丧喜庆"), ("EPR_HL_ALLOW_CASES", "违规发放津补贴或福利"),
          ("EPR_HL_TRAVEL_CASES", "公款旅游以及违规接受管理和服务对象等旅游活动安排"),
          ("EPR_HL_OTHER_CASES", "其他享乐主义、奢靡之风问题"))  # fmt: skip
CLUES = (("CLUE_TALK_INQUIRY", "谈话函询"), ("CLUE_PRELIM", "初步核实"),
         ("CLUE_PENDING", "暂存待查"), ("CLUE_CLOSED", "予以了结"))  # fmt: skip
FORMS = ("FORM_1", "FORM_2", "FORM_3", "FORM_4")
FORM_WORDS = ("第一种形态批评教育帮助", "第二种形态处理", "第三种形态处理", "第四种形态处理")

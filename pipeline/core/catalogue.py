"""The problem catalogue: every code the pipeline reports, with its default severity, a short
Chinese title, the message template, a Chinese description (what it means, how to fix it: the
code table of the 说明 sheet) and tags. Code that treats a group of problems alike asks for a
tag (`Tag.NO_COPY in p.code.tags`), never for a list of codes. A code's name is the plain code
string of the outputs (审核问题, the result cache, the archive)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum, unique


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


SEVERITY_LABEL = {Severity.ERROR: "错误", Severity.WARNING: "警告"}


class Tag(StrEnum):
    """The groups a code belongs to."""

    FILE = "file"  # the file as a whole, not one of its cells
    STRUCTURE = "structure"  # the template's shape: form id, version, names, ledgers
    IDENTITY = "identity"  # which unit and which period the return is for
    CELL = "cell"  # the value in one cell
    LEDGER = "ledger"  # a ledger (台账) or one of its rows
    RULE = "rule"  # a rule of the definition does not hold
    COERCED = "coerced"  # a value read loosely: it counts, the unit should check it
    SCOPE_NOTE = "scope-note"  # a 全系统 return's rule failure, kept only as a note
    NEEDS_EXPLANATION = "needs-explanation"  # as a warning, 催报 asks the unit to explain it
    NO_COPY = "no-copy"  # feedback cannot mark a copy of the file: it lists the problems only
    NO_FEEDBACK = "no-feedback"  # not a spreadsheet at all: nobody to send feedback to
    RULE_SEVERITY = "rule-severity"  # the rule of the definition says error or warning


@dataclass(frozen=True, slots=True)
class Detail:  # what the catalogue says about one code
    severity: Severity  # the default; a rule's own severity overrides it
    title: str  # a few Chinese words
    template: str  # the message, formatted with make_problem's keywords
    description: str  # what it means and how to fix it, for the clerk and the unit
    tags: frozenset[Tag]


def _detail(
    severity: Severity, title: str, template: str, description: str, tags: set[Tag]
) -> Detail:
    return Detail(severity, title, template, description, frozenset(tags))


@unique
class ProblemCode(Enum):
    """Every problem the pipeline reports. The prefix is the topic. Names are stable (审核问题
    and other programs show them): a code is never renamed, rarely retired."""

    # Files
    FILE_IGNORED = _detail(
        Severity.WARNING,
        "文件已忽略",
        "已忽略：{reason}",
        "收件文件夹中的这一项不是报表（Excel 的临时锁定文件、隐藏文件、子文件夹、快捷方式等），"
        "不参与汇总。如确是报表，请把报表文件本身放入收件文件夹。",
        {Tag.FILE},
    )
    FILE_UNREADABLE = _detail(
        Severity.ERROR,
        "文件无法读取",
        "文件无法读取：{reason}",
        "文件已损坏、不完整、加密或超出安全限制，程序读不出其内容。请报送单位用 Excel 或 WPS "
        "打开确认无误、取消密码，保存为 .xlsx 后重新报送。",
        {Tag.FILE, Tag.NO_COPY},
    )
    FILE_WRONG_FORMAT = _detail(
        Severity.ERROR,
        "文件格式不受支持",
        "文件格式不受支持：{reason}",
        "文件不是 Excel 工作簿（如 Word、PDF、图片、空文件），或扩展名与内容不符。"
        "请报送单位在下发的模板中填报，保存为 .xlsx 后重新报送。",
        {Tag.FILE, Tag.NO_COPY, Tag.NO_FEEDBACK},
    )
    FILE_DUPLICATE = _detail(
        Severity.WARNING,
        "重复文件",
        "与文件“{other}”内容完全相同，只计一次",
        "收件文件夹中有内容完全相同的两个文件（如同一份报表发了两次），只计一次。"
        "无需处理；整理收件文件夹时可删去多余的一份。",
        {Tag.FILE},
    )
    FILE_SUPERSEDED = _detail(
        Severity.WARNING,
        "已被新版本替代",
        "本单位另有较新的报表“{other}”，本文件不参与汇总",
        "同一单位报送了多份报表，按填报日期（其次按文件修改时间）只汇总最新的一份。"
        "如应以本份为准，请删去较新的一份或更正其填报日期。",
        {Tag.FILE},
    )
    # Structure
    FORM_NOT_TEMPLATE = _detail(
        Severity.ERROR,
        "不是本套统计表",
        "不是本套统计表（找不到 FORM_ID 标识）。请使用下发的模板“{title}”填报",
        "文件中找不到模板的标识，是别的表格或自制的表格。请报送单位使用下发的模板填报。",
        {Tag.FILE, Tag.STRUCTURE, Tag.NO_COPY},
    )
    FORM_WRONG_ID = _detail(
        Severity.ERROR,
        "报表种类不符",
        "报表种类为“{found}”，应为“{expected}”。请使用下发的模板“{title}”填报",
        "文件是另一套统计表的模板。请报送单位使用本次下发的模板填报。",
        {Tag.FILE, Tag.STRUCTURE, Tag.NO_COPY},
    )
    FORM_WRONG_VERSION = _detail(
        Severity.ERROR,
        "模板版本不符",
        "模板版本为“{found}”，当前版本为“{expected}”。请下载最新模板重新填报",
        "文件是旧版或其他版本的模板，指标可能已经调整。请报送单位下载当前版本的模板重新填报。",
        {Tag.FILE, Tag.STRUCTURE},
    )
    NAME_MISSING = _detail(
        Severity.ERROR,
        "指标单元格缺失",
        "找不到指标“{label}”（{code}）的填报单元格，模板结构可能被改动。请使用下发的模板填报",
        "模板中某个指标的填报单元格（名称定义）不见了，通常是删除了行列或改动了模板。"
        "请报送单位使用下发的模板重新填报，不要增删行列。",
        {Tag.STRUCTURE},
    )
    NAMES_LOST = _detail(
        Severity.WARNING,
        "名称定义丢失",
        "文件中没有模板的名称定义（可能是把数据复制到了新的工作簿），已按指标编码列和封面项目读取。"
        "请使用下发的模板填报",
        "文件中没有模板的名称定义，通常是把数据复制到了新的工作簿；已按指标编码列和封面读取，"
        "数据照常汇总。请核对读取结果，今后请在下发的模板中填报。",
        {Tag.FILE, Tag.STRUCTURE},
    )
    TABLES_LOST = _detail(
        Severity.WARNING,
        "台账表格丢失",
        "文件中的台账表格（Excel 表）已丢失（可能用其他软件另存过），已按表头行读取台账。"
        "请核对台账内容，今后请用 Excel 或 WPS 在下发的模板中填报",
        "台账的 Excel 表（表格对象）丢失了，通常是用其他软件另存过；已按表头行读取台账，"
        "数据照常汇总。请核对台账内容，今后请用 Excel 或 WPS 在下发的模板中填报。",
        {Tag.FILE, Tag.STRUCTURE, Tag.LEDGER},
    )
    LEDGER_MISSING = _detail(
        Severity.ERROR,
        "台账缺失",
        "找不到台账“{label}”（表格 {code}）。请使用下发的模板填报，不要删除台账表格",
        "找不到模板中的某个台账，可能删除了它的工作表或表格。请报送单位使用下发的模板填报；"
        "本期没有事项的，保留空台账即可。",
        {Tag.STRUCTURE, Tag.LEDGER},
    )
    LEDGER_COLUMN_MISSING = _detail(
        Severity.ERROR,
        "台账列缺失",
        "台账“{ledger}”缺少列“{column}”。请不要删除或改名台账的列标题",
        "台账少了一列，可能删除或改名了列标题。请报送单位恢复模板原有的列标题后重新报送。",
        {Tag.STRUCTURE, Tag.LEDGER},
    )
    # Identification
    UNIT_UNKNOWN = _detail(
        Severity.ERROR,
        "单位不在名单中",
        "单位“{found}”不在报送单位名单中{hint}。请在封面从下拉列表选择本单位",
        "封面的单位名称或编码在报送单位名单中找不到（常见于错别字或简称）。请报送单位在封面"
        "从下拉列表选择本单位；新增的单位须先由汇总单位加入名单。",
        {Tag.IDENTITY, Tag.CELL},
    )
    UNIT_MISMATCH = _detail(
        Severity.ERROR,
        "单位编码与名称不符",
        "单位编码“{code}”与单位名称“{name}”不一致（名单中 {code} 是“{expected}”）。请核对封面",
        "封面的单位编码和单位名称在名单中分属两个单位。请报送单位核对封面，"
        "从下拉列表重新选择本单位。",
        {Tag.IDENTITY, Tag.CELL},
    )
    UNIT_OTHER_TEMPLATE = _detail(
        Severity.ERROR,
        "用了其他单位的报表文件",
        "本文件是下发给“{owner}”的报表，封面却填为“{unit}”。请使用下发给本单位的报表文件填报",
        "每个单位有自己的报表文件（单位编码和名称已填好）。这份报表出自另一个单位的文件，"
        "封面被改成了本单位：请报送单位改用下发给自己的文件重新填报。",
        {Tag.IDENTITY, Tag.CELL},
    )
    PERIOD_MISMATCH = _detail(
        Severity.ERROR,
        "报告期不符",
        "{label}为“{found}”，本次汇总为“{expected}”。请使用本期下发的模板填报",
        "封面的报告期与本次汇总的报告期不同，多是用了往期的模板。"
        "请报送单位使用本期下发的模板填报。",
        {Tag.IDENTITY, Tag.CELL},
    )
    # Values
    VALUE_REQUIRED = _detail(
        Severity.ERROR,
        "必填项为空",
        "“{label}”不能为空。{hint}",
        "必填的单元格是空的。数字指标未发生的请填 0，其他项按提示填写或从下拉列表选择。",
        {Tag.CELL},
    )
    VALUE_NOT_INTEGER = _detail(
        Severity.ERROR,
        "不是非负整数",
        "“{label}”应填写非负整数，实际为“{value}”。{advice}",
        "应填整数的单元格读不出数字（如“若干”“*”、汉字数字、小数）。"
        "请按提示改为具体的阿拉伯数字，未发生的填 0。",
        {Tag.CELL},
    )
    VALUE_BELOW_MIN = _detail(
        Severity.ERROR,
        "小于下限",
        "“{label}”不能小于 {bound}，实际为 {value}",
        "数值小于允许的最小值（如负数）。请核实后改正。",
        {Tag.CELL},
    )
    VALUE_ABOVE_MAX = _detail(
        Severity.ERROR,
        "超过上限",
        "“{label}”不能大于 {bound}，实际为 {value}",
        "数值大于允许的最大值，多是多打了位数或填错了格。请核实后改正。",
        {Tag.CELL},
    )
    VALUE_COERCED = _detail(
        Severity.WARNING,
        "数字按宽松方式读取",
        "“{label}”的值“{value}”已按 {result} 读取（{how}）。请在报表中直接填写数字",
        "数字带了单位、全角字符或千分位，或存成了文本（如“12人”），已读出其中的数字并照常汇总。"
        "请核对读取结果，今后单元格中只填数字。",
        {Tag.CELL, Tag.COERCED},
    )
    CHOICE_COERCED = _detail(
        Severity.WARNING,
        "选项按宽松方式读取",
        "“{label}”的值“{value}”已按“{result}”读取（{how}）。请从下拉列表中选择",
        "选项或“是/否”的写法与下拉列表不完全相同（如多了空格、写成“有”“√”），已按相应选项读取"
        "并照常汇总。请核对读取结果，今后从下拉列表中选择。",
        {Tag.CELL, Tag.COERCED},
    )
    VALUE_NOT_DATE = _detail(
        Severity.ERROR,
        "不是日期",
        "“{label}”应为日期（如 2022-03-05），实际为“{value}”。{advice}",
        "应填日期的单元格读不出日期。请按 年-月-日 格式（如 2022-03-05）填写。",
        {Tag.CELL},
    )
    DATE_COERCED = _detail(
        Severity.WARNING,
        "日期按宽松方式读取",
        "“{label}”的值“{value}”已按日期 {result} 读取。请按 年-月-日 格式填写日期",
        "日期写成了文本或其他格式（如“3月5日”“2022.3.5”），已读成日期并照常汇总。"
        "请核对读取结果，今后按 年-月-日 格式填写。",
        {Tag.CELL, Tag.COERCED},
    )
    DATE_OUT_OF_PERIOD = _detail(
        Severity.ERROR,
        "日期不在本报告期内",
        "“{label}”{value} 不在本报告期（{start} 至 {end}）内。本期报表只统计本期发生的事项",
        "台账中的日期早于或晚于本报告期，本期报表只统计本期发生的事项。"
        "请核实日期；不属于本期的事项请从台账中删去。",
        {Tag.CELL, Tag.LEDGER},
    )
    VALUE_NOT_CHOICE = _detail(
        Severity.ERROR,
        "不在可选项中",
        "“{label}”的值“{value}”不在可选项中。可选：{choices}",
        "填写的内容不是下拉列表中的选项。请从下拉列表中选择。",
        {Tag.CELL},
    )
    CELL_ERROR_VALUE = _detail(
        Severity.ERROR,
        "单元格是错误值",
        "“{label}”是错误值 {value}。{advice}",
        "单元格显示 #REF!、#DIV/0! 等错误值，多是公式引用出了错。请改正公式或直接填写数字。",
        {Tag.CELL},
    )
    FORMULA_NOT_CALCULATED = _detail(
        Severity.ERROR,
        "公式没有计算结果",
        "“{label}”{advice}",
        "单元格是公式，但文件中没有保存计算结果（保存文件的软件没有重新计算）。"
        "请在 Excel 或 WPS 中打开后保存再报送，或直接填写数值。",
        {Tag.CELL},
    )
    VALUE_NOT_BOOL = _detail(
        Severity.ERROR,
        "不是“是”或“否”",
        "“{label}”应填“是”或“否”，实际为“{value}”",
        "这一格只能填“是”或“否”。请从下拉列表中选择。",
        {Tag.CELL},
    )
    SELF_FILLED_BY_SUBORDINATE = _detail(
        Severity.WARNING,
        "下属单位填了本级指标",
        "“{label}”只由{root}本级填报，下属单位填写的值不参与汇总",
        "这项指标只由汇总单位本级填报，下属单位填写的值不计入汇总。"
        "下属单位请把这一格留空；数字应计入其他指标的，请填到相应指标。",
        {Tag.CELL},
    )
    # Rules
    RULE_FAILED = _detail(
        Severity.ERROR,
        "审核规则未通过",
        "{message}（{detail}）",
        "报表数据不符合一条审核规则（如分项之和大于合计、台账行数与指标不一致）。"
        "错误须改正后重新报送；警告请核实，数据无误的请向汇总单位说明原因。",
        {Tag.RULE, Tag.RULE_SEVERITY, Tag.NEEDS_EXPLANATION},
    )
    RULE_SCOPE_NOTE = _detail(
        Severity.WARNING,
        "汇总上报表口径提示",
        "汇总上报表口径不同，仅作提示：{message}（{detail}）",
        "“全系统”口径的汇总上报表是下级各单位报表之和，有的审核规则两边涉及的单位范围不同，"
        "不一定成立，因此只作提示，不退回。一般无需处理；差异明显时可向报送单位了解。",
        {Tag.RULE, Tag.SCOPE_NOTE},
    )
    ROW_RULE_FAILED = _detail(
        Severity.ERROR,
        "台账行审核未通过",
        "{message}",
        "台账某一行不符合审核规则（如结束日期早于开始日期、应同时填写的两列只填了一列）。"
        "错误请按提示改正该行；警告请核实，无误的请向汇总单位说明原因。",
        {Tag.RULE, Tag.RULE_SEVERITY, Tag.LEDGER, Tag.NEEDS_EXPLANATION},
    )

    @property
    def severity(self) -> Severity:
        return self.value.severity

    @property
    def title(self) -> str:
        return self.value.title

    @property
    def template(self) -> str:
        return self.value.template

    @property
    def description(self) -> str:
        return self.value.description

    @property
    def tags(self) -> frozenset[Tag]:
        return self.value.tags


CODE_TABLE_HEADERS = ("问题代码", "严重程度", "名称", "说明")


def code_table() -> list[tuple[str, str, str, str]]:
    """The catalogue as a clerk reads it (the 说明 sheet of the consolidated workbook)."""
    return [(c.name, _severity_shown(c), c.title, c.description) for c in ProblemCode]


def _severity_shown(code: ProblemCode) -> str:
    if Tag.RULE_SEVERITY in code.tags:
        return "错误或警告（按审核规则）"
    return SEVERITY_LABEL[code.severity]

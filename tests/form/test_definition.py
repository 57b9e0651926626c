"""Loading the form definition and the checks made when loading (the registry: test_registry.py)."""

import copy
import json

import pytest
import yaml

from pipeline.form.load import load_form
from pipeline.form.model import DefinitionError
from pipeline.form.spec import as_json
from pipeline.read.registry_file import load_registry

MINIMAL = {
    "form": {
        "id": "T_FORM",
        "version": "1",
        "title": "测试表",
        "period": {"label": "2022年上半年", "type": "上半年", "start": "2022-01-01", "end": "2022-06-30"},
    },
    "code_lists": {"处分": ["警告", "严重警告"]},
    "sections": [
        {"id": "COVER", "title": "封面", "sheet": "封面", "indicators": [
            {"code": "UNIT_CODE", "label": "单位编码", "type": "choice", "choices": "UNITS_CODE"},
        ]},
        {"id": "S1", "title": "一", "sheet": "一", "indicators": [
            {"code": "DISC_A", "label": "甲", "unit": "人"},
            {"code": "DISC_B", "label": "乙", "unit": "人"},
            {"code": "DISC_TOTAL", "label": "合计", "unit": "人", "derived": "DISC_A + DISC_B"},
        ]},
    ],
    "ledgers": [
        {"id": "CASES", "title": "明细", "sheet": "明细", "columns": [
            {"key": "kind", "label": "处分", "type": "choice", "choices": "处分"},
        ]},
    ],
    "rules": [
        {"id": "V1", "expr": "DISC_A == count(CASES, kind='警告')", "severity": "error", "message": "甲应等于明细"},
    ],
}  # fmt: skip


def write(tmp_path, data) -> str:
    path = tmp_path / "form.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def problems_of(tmp_path, data) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_form(write(tmp_path, data))
    return caught.value.problems


def test_minimal_definition_loads_with_defaults(tmp_path) -> None:
    form = load_form(write(tmp_path, MINIMAL))
    a = form.indicator("DISC_A")
    assert (a.type, a.aggregation, a.required, a.min) == ("int", "sum", True, 0)
    total = form.indicator("DISC_TOTAL")
    assert total.parts == ("DISC_A", "DISC_B") and not total.required
    assert form.indicator("UNIT_CODE").aggregation == "none"
    assert form.compare_threshold == 0.2  # the default when form.yaml does not set it


def test_compare_threshold_is_read_from_the_form_block(tmp_path) -> None:
    data = mutated(lambda d: d["form"].update(compare_threshold=0.35))
    assert load_form(write(tmp_path, data)).compare_threshold == 0.35


def test_every_ledger_of_the_real_form_records_the_originating_unit(form) -> None:
    # A 上报 return concatenates the ledgers of many units; this column keeps each row's origin.
    for ledger in form.ledgers:
        column = ledger.columns[-1]
        assert (column.key, column.type, column.required) == ("origin_unit", "text", False)


LEGAL = {"table_number": "甲1表", "made_by": "某局", "approved_by": "某统计局",
         "approval_kind": "批准文号", "approval_number": "某统字〔2026〕1号",
         "valid_until": "2028-12-31"}  # fmt: skip


def test_legal_marks_are_optional_and_read_whole(tmp_path) -> None:
    assert load_form(write(tmp_path, MINIMAL)).legal is None
    legal = load_form(write(tmp_path, mutated(lambda d: d["form"].update(legal=LEGAL)))).legal
    assert legal is not None and legal.lines()[2:4] == (
        "批准机关：某统计局",
        "批准文号：某统字〔2026〕1号",
    )


def mutated(change) -> dict:
    data = copy.deepcopy(MINIMAL)
    change(data)
    return data


def indicators(data) -> list:
    return data["sections"][1]["indicators"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: indicators(d).append({"code": "DISC_A", "label": "重复"}), "编码 DISC_A 重复"),
        (lambda d: indicators(d).append({"code": "EDU1", "label": "像单元格"}), "看起来像单元格地址"),
        (lambda d: indicators(d).append({"code": "R1C1", "label": "像单元格"}), "看起来像单元格地址"),
        (lambda d: indicators(d).append({"code": "edu_x", "label": "小写"}), "大写英文字母开头"),
        (lambda d: indicators(d).append({"code": "X_Y", "label": "甲", "aggregation": "avg"}), "汇总方式“avg”无效"),
        (lambda d: indicators(d).append({"code": "X_Y", "label": "甲", "type": "float"}), "类型“float”无效"),
        (lambda d: indicators(d).append({"code": "X_Y", "label": "甲", "aggregation": "self", "required": True}), "不能设为必填"),
        (lambda d: indicators(d).append({"code": "X_Y", "label": "甲", "type": "choice", "choices": "无此表"}), "代码表“无此表”不存在"),
        (lambda d: indicators(d).append({"code": "X_Y", "label": "甲", "colour": "红"}), "未知的键“colour”"),
        (lambda d: indicators(d).append({"code": "X_Y", "label": "甲", "derived": "DISC_A + NOPE_X"}), "derived 引用了不存在的指标 NOPE_X"),
        (lambda d: d["rules"].append({"id": "V2", "expr": "NOPE_X > 0", "message": "m"}), "规则 V2：引用了不存在的指标 NOPE_X"),
        (lambda d: d["rules"].append({"id": "V2", "expr": "count(NOPE) > 0", "message": "m"}), "引用了不存在的台账 NOPE"),
        (lambda d: d["rules"].append({"id": "V2", "expr": "count(CASES, nope='x') > 0", "message": "m"}), "台账 CASES 没有列 nope"),
        (lambda d: d["rules"].append({"id": "V2", "expr": "__import__('os')", "message": "m"}), "表达式无效"),
        (lambda d: d["rules"].append({"id": "V1", "expr": "DISC_A > 0", "message": "m"}), "规则编号 V1 重复"),
        (lambda d: d["rules"].append({"id": "V2", "expr": "DISC_A > 0", "severity": "fatal", "message": "m"}), "severity"),
        (lambda d: d["rules"].append({"id": "V2", "expr": "DISC_TOTAL == DISC_B + DISC_A", "message": "m"}), "重复了合计的计算公式"),
        (lambda d: indicators(d).append({"code": "X_Y", "label": "甲", "derived": "DISC_A + X_Y"}), "循环引用"),
        (lambda d: d["ledgers"][0]["columns"].append({"key": "kind", "label": "别名"}), "列键 kind 重复"),
        (lambda d: d["sections"][1].update(sheet="一/二"), "工作表名“一/二”无效"),
        (lambda d: d["sections"].reverse(), "第一个 section 必须是封面"),
        (lambda d: d["form"]["period"].update(type="季度"), "form.period.type"),
        (lambda d: d["form"].update(colour="红"), "form：未知的键“colour”"),
        (lambda d: d["form"].update(compare_threshold="两成"), "form.compare_threshold"),
        (lambda d: d["form"].update(compare_threshold=0), "form.compare_threshold"),
        (lambda d: d["form"].update(legal={"table_number": "甲1表"}), "form.legal 缺少：approval_kind"),
        (lambda d: d["form"].update(legal=dict(LEGAL, approval_kind="许可证")), "批准文号或备案号"),
        (lambda d: d["form"].update(legal=dict(LEGAL, valid_until="明年")), "valid_until 不是日期"),
        (lambda d: d["form"].update(legal=dict(LEGAL, seal="红")), "form.legal：未知的键“seal”"),
    ],
)  # fmt: skip
def test_definition_errors_are_reported_in_chinese(tmp_path, change, expected: str) -> None:
    found = problems_of(tmp_path, mutated(change))
    assert any(expected in p for p in found), found


def test_all_problems_are_reported_at_once(tmp_path) -> None:
    def two_faults(d):
        indicators(d).append({"code": "EDU1", "label": "甲"})
        d["rules"].append({"id": "V2", "expr": "NOPE_X > 0", "message": "m"})

    assert len(problems_of(tmp_path, mutated(two_faults))) == 2


def test_unreadable_yaml_is_a_definition_error(tmp_path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text("form: [unclosed", encoding="utf-8")
    with pytest.raises(DefinitionError, match="无法读取"):
        load_form(path)


def registry_file(tmp_path, rows: list[str]) -> str:
    path = tmp_path / "units.csv"
    path.write_text(
        "\ufeff单位编码,单位名称,上级单位编码,联系人,联系电话\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return str(path)


def test_as_json_is_serialisable_and_has_the_contract_keys(tmp_path) -> None:
    registry = load_registry(registry_file(tmp_path, ["R0,总局,,,"]))
    data = json.loads(json.dumps(as_json(load_form(write(tmp_path, MINIMAL)), registry)))
    assert {"code", "label", "unit", "type", "aggregation"} <= set(data["indicators"][0])
    assert data["registry"][0]["code"] == "R0"

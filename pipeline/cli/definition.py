"""The definition's commands: the unit template, the definition shown, the registry workbook."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.options import (
    DEFAULT_UNITS,
    PROJECT_ROOT,
    Definition,
    Refusal,
    archive_options,
    definition_options,
    open_archive,
    out_option,
)
from pipeline.cli.screen import BarProgress
from pipeline.core.filenames import safe
from pipeline.form.model import DefinitionError, Form
from pipeline.form.period import previous_period
from pipeline.form.spec import as_json
from pipeline.publish.registry_book import write_registry_book
from pipeline.publish.template import write_template
from pipeline.read.registry_file import load_registry
from pipeline.run.unit_templates import DISTRIBUTION_FOLDER, write_unit_templates


@click.command()
@definition_options
@out_option("模板输出文件夹", default=PROJECT_ROOT / "input_templates")
def template(definition: Definition, out_dir: Path) -> None:
    """生成下发给各单位的填报模板。

    \b
    示例：python -m pipeline template
    """
    path = write_template(definition.form, definition.registry, out_dir)
    click.echo(f"已生成模板：{safe(str(path))}")
    warn_expired_marks(definition.form)


@click.command()
@definition_options
@archive_options
@out_option(
    "各单位模板的输出文件夹", default=PROJECT_ROOT / "input_templates" / DISTRIBUTION_FOLDER
)
def templates(
    definition: Definition, archive_path: Path | None, no_archive: bool, out_dir: Path
) -> None:
    """为名单中的每个单位生成专用填报模板（单位编码、名称已填好并锁定，联系人从名单预填；
    报送档案中有该单位上期报表时，列出上期数）。

    \b
    示例：python -m pipeline templates --period 2026年上半年
    """
    form, registry = definition.form, definition.registry
    if not registry.units:
        raise Refusal("错误：报送单位名单为空，没有可生成模板的单位（见 make units）")
    # No archive yet: no 上期 to show. Only the previous period's records are checked.
    scope = (form.id, previous_period(form.period).label)
    with open_archive(archive_path, no_archive, scope=scope, missing="skip") as archive:
        made = write_unit_templates(form, registry, out_dir, archive, BarProgress())
    click.echo(f"已为 {len(made.paths)} 个单位生成专用模板：{safe(str(out_dir))}")
    if made.with_previous:
        click.echo(f"其中 {made.with_previous} 个列出了上期（{made.previous_period}）的数")
    else:
        click.echo(f"报送档案中没有上期（{made.previous_period}）的报表，模板不列上期数")
    if made.redefined:
        click.echo(f"口径与上期不同、不列上期数的指标 {len(made.redefined)} 项")
    click.echo("请把各单位的文件分别发给该单位；名单外的单位使用通用模板（make template）")
    warn_expired_marks(form)


def warn_expired_marks(form: Form) -> None:
    """A survey form past its 有效期 may not be used (统计法): say so, the clerk decides."""
    legal = form.legal
    if legal is not None and legal.valid_until < form.period.end:
        click.echo(
            f"注意：法定标识的有效期至 {legal.valid_until}，早于报告期截止日期 {form.period.end}："
            "请确认已重新批准或备案，并在 form.yaml 的 legal 中更新",
            err=True,
        )


@click.command()
@definition_options
@click.option("--json", "as_json_flag", is_flag=True, help="以 JSON 输出（供其他程序使用）")
def spec(definition: Definition, as_json_flag: bool) -> None:
    """显示表样定义（指标、台账、审核规则）和报送单位名单。

    \b
    示例：python -m pipeline spec --json
    """
    form, registry = definition.form, definition.registry
    if as_json_flag:
        click.echo(json.dumps(as_json(form, registry), ensure_ascii=False, indent=2))
        return
    click.echo(f"{form.title}（表样 {form.id} 版本 {form.version}，报告期 {form.period.label}）")
    for section in form.sections:
        click.echo(f"  {section.title}：{len(section.indicators)} 项指标")
    click.echo(
        f"  台账 {len(form.ledgers)} 个，审核规则 {len(form.rules)} 条，报送单位 {len(registry.units)} 个"
    )


@click.command()
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    required=True,
    help="现有的单位名单（.csv 或 .xlsx）",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_UNITS,
    show_default=True,
    help="生成的单位名单工作簿（.xlsx）",
)
def units(source: Path, out_path: Path) -> None:
    """由现有单位名单（如 CSV）生成可在 Excel/WPS 中编辑的单位名单工作簿。

    工作簿含表头、上级单位编码下拉列表和填写说明；名单有错误时不生成。

    \b
    示例：python -m pipeline units --from 单位名单.csv
    """
    if out_path.suffix.lower() != ".xlsx":
        raise Refusal(f"错误：--out 应是 .xlsx 文件，而不是“{out_path.name}”")
    try:
        registry = load_registry(source)
    except DefinitionError as exc:
        raise Refusal(f"配置错误：{exc}") from None
    path = write_registry_book(registry, out_path)
    click.echo(f"已生成单位名单：{safe(str(path))}（{len(registry.units)} 个单位）")
    click.echo("修改名单后请运行 make template 重新生成填报模板。")

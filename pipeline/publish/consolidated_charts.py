"""I/O out: the 图表 sheet, native Excel charts (xlsxwriter) over small tables on the sheet.

The charts sit on top in a two-column grid, their tables below, so the sheet prints on A4
landscape pages and every plotted figure can be read as a number too.
"""

from __future__ import annotations

from pipeline.combine.chart_tables import Table
from pipeline.publish.consolidated import SheetExtra
from pipeline.publish.xlsx_style import print_setup

SHEET = "图表"
CHART_SIZE = {"width": 440, "height": 320}
GAP = 12  # pixels between charts
PER_ROW = 3  # charts side by side: two rows of charts fit one A4 landscape page
ROWS_PER_CHART = 17  # default rows are 20 px high
SERIES_COLOURS = ("#4472C4", "#ED7D31")
STATUS_COLOURS = ("#70AD47", "#FFC000", "#C00000", "#A5A5A5")  # 已接收, 有警告, 退回, 未报送
FORM_COLOURS = ("#70AD47", "#FFC000", "#ED7D31", "#C00000")
FONT = {"name": "宋体"}  # a font every Chinese Office install has; others fall back to a CJK font


def dashboard_sheet(
    status: Table, sanctions: Table, forms: Table, issues: Table, top: Table
) -> SheetExtra:
    def extra(writer) -> None:
        ws = writer.wb.add_worksheet(SHEET)
        ws.write_string(
            0, 0, f"{writer.form.title}（{writer.form.period.label}）图表", writer.title
        )
        ws.write_string(1, 0, "图表下方是作图所用的数字；各图的口径见表头。", writer.note)
        tables = [status, sanctions, forms, issues, top]
        grid = 2 * ROWS_PER_CHART + 3
        first = grid + 1
        places = {}
        for table in tables:
            places[table.title] = first
            first = _write_table(writer, ws, table, first) + 2
        wb = writer.wb
        charts = [
            _pie(wb, status, places[status.title], STATUS_COLOURS, percent=False),
            _sanction_bars(wb, sanctions, places[sanctions.title]),
            _pie(wb, forms, places[forms.title], FORM_COLOURS, percent=True),
            _bars(wb, issues, places[issues.title], horizontal=False, overlap=-10),
            _bars(wb, top, places[top.title], horizontal=True, overlap=-10),
        ]
        for number, chart in enumerate(charts):
            row = 3 + (number // PER_ROW) * ROWS_PER_CHART
            x = (number % PER_ROW) * (CHART_SIZE["width"] + GAP)
            ws.insert_chart(row, 0, chart, {"x_offset": x, "y_offset": 0})
        ws.set_h_pagebreaks([grid])  # the charts on one page, their tables after
        ws.set_column(0, 0, 30)
        ws.set_column(1, 2, 16)
        ws.hide_gridlines(2)
        print_setup(ws)

    return extra


def _write_table(writer, ws, table: Table, row: int) -> int:
    """Write a table's title, headers and rows from `row`; return the last row used."""
    ws.write_string(row, 0, table.title, writer.section)
    ws.write_row(row + 1, 0, list(table.headers), writer.header)
    for offset, values in enumerate(table.rows, start=2):
        for col, value in enumerate(values):
            writer.write_value(ws, row + offset, col, value)
    return row + 1 + len(table.rows)


def _data(table: Table, first: int, column: int) -> tuple[list, list]:
    """Category and value references of one series (rows below the table's header)."""
    top, bottom = first + 2, first + 1 + max(len(table.rows), 1)
    return [SHEET, top, 0, bottom, 0], [SHEET, top, column, bottom, column]


def _title(chart, table: Table) -> None:
    chart.set_title({"name": table.title, "name_font": FONT | {"size": 12, "bold": True}})
    chart.set_size(CHART_SIZE)
    chart.set_chartarea({"border": {"color": "#BFBFBF"}})


def _pie(wb, table: Table, first: int, colours: tuple[str, ...], percent: bool):
    chart = wb.add_chart({"type": "pie"})
    categories, values = _data(table, first, 1)
    labels = {"category": True, "separator": "\n", "font": FONT | {"size": 9}}
    labels |= {"percentage": True} if percent else {"value": True}
    chart.add_series(
        {
            "name": table.headers[1],
            "categories": categories,
            "values": values,
            "points": [{"fill": {"color": c}} for c in colours[: len(table.rows)]],
            "data_labels": labels | {"position": "best_fit"},
        }
    )
    _title(chart, table)
    chart.set_legend({"position": "right", "font": FONT | {"size": 9}})
    if not any(row[1] for row in table.rows):
        chart.set_title({"name": f"{table.title}：本期为 0", "name_font": FONT | {"size": 12}})
    return chart


def _sanction_bars(wb, table: Table, first: int):
    """One series, 党纪 kinds in blue and 政务 kinds in orange (categories say which)."""
    chart = wb.add_chart({"type": "bar"})
    categories, values = _data(table, first, 1)
    colours = [SERIES_COLOURS[0 if row[0].startswith("党纪") else 1] for row in table.rows]
    chart.add_series(
        {
            "name": table.headers[1],
            "categories": categories,
            "values": values,
            "points": [{"fill": {"color": c}} for c in colours],
            "data_labels": {"value": True, "font": FONT | {"size": 8}},
            "gap": 40,
        }
    )
    _title(chart, table)
    chart.set_y_axis({"num_font": FONT | {"size": 8}, "reverse": True, "interval_unit": 1,
                      "major_tick_mark": "none"})  # fmt: skip
    chart.set_x_axis(_value_axis())
    chart.set_legend({"none": True})
    return chart


def _value_axis() -> dict:
    grid = {"visible": True, "line": {"color": "#E0E0E0"}}
    return {"num_font": FONT | {"size": 8}, "min": 0, "major_gridlines": grid}


def _bars(wb, table: Table, first: int, horizontal: bool, overlap: int):
    chart = wb.add_chart({"type": "bar" if horizontal else "column"})
    for number, header in enumerate(table.headers[1:], start=1):
        categories, values = _data(table, first, number)
        chart.add_series(
            {
                "name": header,
                "categories": categories,
                "values": values,
                "fill": {"color": SERIES_COLOURS[(number - 1) % len(SERIES_COLOURS)]},
                "data_labels": {"value": True, "font": FONT | {"size": 8}},
                "gap": 60,
                "overlap": overlap,
            }
        )
    _title(chart, table)
    category_axis = {"num_font": FONT | {"size": 8}, "major_tick_mark": "none", "interval_unit": 1}
    value_axis = _value_axis()
    if horizontal:
        # Bar charts draw the first category at the bottom; reverse so the list reads down.
        chart.set_y_axis(category_axis | {"reverse": True})
        chart.set_x_axis(value_axis)
    else:
        chart.set_x_axis(category_axis)
        chart.set_y_axis(value_axis)
    chart.set_legend({"position": "bottom", "font": FONT | {"size": 9}})
    return chart

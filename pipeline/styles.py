"""Cell formats shared by the template and the consolidated workbook (xlsxwriter dicts)."""

TITLE = {"bold": True, "font_size": 14}
NOTE = {"italic": True, "font_color": "#595959"}
HEADER = {"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "vcenter"}
SECTION = {"bold": True, "bg_color": "#F2F2F2"}
TOTAL = {"bold": True, "bg_color": "#E2EFDA"}

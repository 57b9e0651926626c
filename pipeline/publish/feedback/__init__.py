"""publish.feedback: the feedback workbook sent back to a unit - its own workbook with every
problem cell marked and commented, and a first sheet listing the problems.

content.py (texts, colours and names both ways share); write.py (which way); the XML edit of a
plain file on lxml trees: xml_edit.py (orchestration), xml_parts.py (the package), xml_sheet.py
(marking a sheet), xml_workbook.py, xml_styles.py, xml_list.py (the 审核意见 sheet),
xml_comments.py; openpyxl_copy.py (anything else, cleaned through openpyxl). Neither way
imports the other.
"""

"""publish.feedback: the feedback workbook sent back to a unit - its own workbook with every
problem cell marked and commented, and a first sheet listing the problems.

content.py (texts, colours and names both ways share), xml_edit.py (a plain file edited at the
XML level), openpyxl_copy.py (anything else, cleaned through openpyxl), write.py (which way).
Neither way imports the other.
"""

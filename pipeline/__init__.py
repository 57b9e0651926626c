"""Collect, validate and consolidate 党风廉政建设 statistics returned by subordinate units."""

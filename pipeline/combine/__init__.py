"""combine: the checked returns → the office's figures. Pure (pandas, numpy).

select.py (which return counts per unit), consolidate.py (totals, unit × indicator matrix,
subtotals, ledgers), levels.py (汇总 cut at a level of the tree), rollup.py (the 上报
return's figures), reconcile.py (核对), compare.py (against an earlier period), remind.py
(催报), chart_tables.py (the small tables behind the charts).

May import: pipeline.core, pipeline.form, pipeline.check (its scope policy), pandas, numpy.
Never a spreadsheet, CLI or process library.
"""

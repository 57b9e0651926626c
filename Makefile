# Front door for clerks and developers. Every target creates .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INBOX ?= inbox
OUT ?= output
UNIT ?=
PERIOD ?=
# --period only when PERIOD is given (make template PERIOD=2026年第三季度)
PERIOD_ARG = $(if $(PERIOD),--period $(PERIOD))
STAMP := $(VENV)/.installed

.PHONY: demo test consolidate check template templates units spec share report bench bench-archive lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## 演示：生成示例报表并汇总到 output/
demo: $(STAMP)
	$(PY) -m pipeline demo --inbox demo_inbox --out $(OUT) $(PERIOD_ARG)

## 汇总 inbox/ 中的报表到 output/（make consolidate INBOX=… OUT=… 可改文件夹）
consolidate: $(STAMP)
	@mkdir -p $(INBOX)
	$(PY) -m pipeline consolidate $(INBOX) --out $(OUT) $(PERIOD_ARG)

## 只审核报表并生成反馈表，不汇总（make check FILES="文件或文件夹 …"，默认审核 inbox/）
check: $(STAMP)
	$(PY) -m pipeline check $(or $(FILES),$(INBOX)) --out $(OUT) $(PERIOD_ARG)

## 汇总并另存脱敏汇总表（文件名含“脱敏”），供对外共享
share: $(STAMP)
	@mkdir -p $(INBOX)
	$(PY) -m pipeline consolidate $(INBOX) --out $(OUT) --share $(PERIOD_ARG)

## 汇总并生成报告稿：output/<报告期>_统计情况.docx 和 .md
report: $(STAMP)
	@mkdir -p $(INBOX)
	$(PY) -m pipeline report $(INBOX) --out $(OUT) $(PERIOD_ARG)

## 查看报送档案中某单位本期的每次报送（make history UNIT=LJ102；不写 UNIT 则列出全部单位）
history: $(STAMP)
	$(PY) -m pipeline history $(UNIT) $(PERIOD_ARG)

## 重新生成下发模板 input_templates/*.xlsx（make template PERIOD=2026年第三季度 生成其他报告期的模板）
template: $(STAMP)
	$(PY) -m pipeline template $(PERIOD_ARG)

## 为名单中每个单位生成专用模板 input_templates/分发/（make templates PERIOD=2026年上半年）
templates: $(STAMP)
	$(PY) -m pipeline templates $(PERIOD_ARG)

## 由 CSV 单位名单生成单位名单工作簿 input_templates/units.xlsx（make units FROM=单位名单.csv）
units: $(STAMP)
	@test -n "$(FROM)" || { echo "请指定现有的单位名单：make units FROM=单位名单.csv"; exit 2; }
	$(PY) -m pipeline units --from "$(FROM)"

spec: $(STAMP)
	$(PY) -m pipeline spec

## Performance: make bench N=1000 (not a test; prints a table and one JSON line)
N ?= 1000
bench: $(STAMP)
	$(PY) -m pipeline bench --n $(N)

## The archive at ten periods of N units: its check, history, a re-run (make bench-archive)
bench-archive: $(STAMP)
	$(PY) -m pipeline bench --archive --n $(N)

## Developer checks: lint, import contracts, types, tests (CI runs this)
test: $(STAMP)
	$(VENV)/bin/ruff check pipeline tests
	$(VENV)/bin/ruff format --check pipeline tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check pipeline tests

format: $(STAMP)
	$(VENV)/bin/ruff format pipeline tests
	$(VENV)/bin/ruff check --fix pipeline tests

clean:
	rm -rf $(VENV) demo_inbox .pytest_cache .ruff_cache

# The two set-up commands of the README. Each builds and refreshes its own virtual environment.
PYTHON ?= python3
DEMO_VENV := .venv
TEST_VENV := .venv-test

.PHONY: demo test clean

$(DEMO_VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DEMO_VENV)/bin/python -m pip install --quiet -e '.[emulator,reports]'
	touch $@

$(TEST_VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TEST_VENV)/bin/python -m pip install --quiet -e '.[dev,all]'
	touch $@

demo: $(DEMO_VENV)/.stamp
	$(DEMO_VENV)/bin/enaio-connector demo --out ./out

test: $(TEST_VENV)/.stamp
	$(TEST_VENV)/bin/ruff check .
	$(TEST_VENV)/bin/ruff format --check .
	$(TEST_VENV)/bin/mypy
	$(TEST_VENV)/bin/pytest --cov --cov-report=term --cov-report=xml:coverage.xml
	@for package in connector mappings schemas jobs; do \
	  printf 'coverage of %s: ' $$package; \
	  $(TEST_VENV)/bin/coverage report --include="$$package/*" --format=total --fail-under=85 || exit 1; \
	done

clean:
	rm -rf $(DEMO_VENV) $(TEST_VENV) out coverage.xml .coverage .mypy_cache .pytest_cache .ruff_cache

# The two commands of the README, and a few helpers.
.PHONY: run test smoke bench lint

run:     ## set up from nothing and run the app on http://127.0.0.1:8000
	scripts/run

test:    ## the whole test suite on PostgreSQL and Redis, plus lint and checks
	scripts/test

smoke:   ## start the run command on a fresh clone, wait for /readyz, log in, stop
	scripts/smoke-run

bench:   ## the API and page benchmarks (see bench/README.md)
	.venv/bin/python bench/run_lists.py

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

# Two commands on a fresh machine (Python >= 3.10 and make):
#   make sync   set everything up, then run the main job into the local file turso.db
#   make test   install everything from scratch and run all the tests (= .ci/run)
# Also: make demo (no Spotify account needed), make report, make auth.

PYTHON ?= python3
VENV := .venv
MELTANO := $(VENV)/bin/meltano
# Compile at install time: each scheduled run starts every plugin afresh, and
# importing uncompiled singer-sdk costs ~0.5 s per process.
export UV_COMPILE_BYTECODE := 1
# Options for the demo, e.g. `make demo DEMO_ARGS="--days 7"` (python -m testkit.demo --help).
DEMO_ARGS ?=

# `make setup` is incremental: it reinstalls only when what it installs from changed since
# the last setup (this Makefile, meltano.yml, a package's pyproject.toml or code: Meltano
# installs the plugins as regular packages), or when .venv or .meltano is gone. Otherwise it
# does nothing, and `make sync`, `make report`, `make demo` start at once, offline.
SETUP_DONE := .meltano/.setup-done
SETUP_INPUTS := Makefile meltano.yml $(wildcard */pyproject.toml) $(shell find \
  libsql-access/libsql_access tap-spotify-recent/tap_spotify_recent target-turso/target_turso \
  listening-report/listening_report testkit/testkit -type f -not -path "*/__pycache__/*")

.PHONY: setup sync test demo report auth settings-tables

setup: $(SETUP_DONE)

$(VENV)/pyvenv.cfg:
	$(PYTHON) -m venv $(VENV)

# Meltano with, in its own environment, target-turso's state backend (the extra brings
# Meltano itself; libsql-access, which both target and report use, comes from its folder),
# listening-report (its `sync-alerts` runs beside each sync) and the test kit (`make demo`
# runs its contract server); then the plugins, each in its own virtualenv.
$(SETUP_DONE): $(VENV)/pyvenv.cfg $(SETUP_INPUTS)
	$(VENV)/bin/python -m pip install -q --upgrade pip uv
	$(VENV)/bin/uv pip install -q --python $(VENV)/bin/python \
	  -e ./libsql-access -e "./target-turso[state-backend]" -e ./listening-report -e ./testkit
	$(MELTANO) install
	touch $@

sync: setup
	@$(MELTANO) config print tap-spotify-recent --format=json 2>/dev/null | $(VENV)/bin/python -c \
	  'import json,sys; c=json.load(sys.stdin); sys.exit(0 if all(c.get(k) for k in ("client_id","client_secret","refresh_token")) else 1)' \
	  || { echo; \
	       echo "Spotify credentials are missing. To get them:"; \
	       echo "  1. Create an app at https://developer.spotify.com/dashboard with the redirect URI"; \
	       echo "     http://127.0.0.1:8888/callback (Spotify refuses localhost)."; \
	       echo "  2. Put its Client ID and secret in .env:"; \
	       echo "       TAP_SPOTIFY_RECENT_CLIENT_ID=..."; \
	       echo "       TAP_SPOTIFY_RECENT_CLIENT_SECRET=..."; \
	       echo "  3. Run 'make auth' and store the refresh token it prints."; \
	       echo "Then run 'make sync' again. No account at hand? 'make demo' runs everything offline."; \
	       exit 1; }
	$(MELTANO) run tap-spotify-recent target-turso listening-report:refresh

auth: setup
	$(MELTANO) invoke tap-spotify-recent:auth

report: setup
	$(MELTANO) invoke listening-report

demo: setup
	$(VENV)/bin/python -m testkit.demo $(DEMO_ARGS)

test:
	.ci/run

# The package READMEs' settings sections, rewritten from each plugin's --about (in the
# virtualenv .ci/run makes, where the plugins are installed).
settings-tables:
	$(VENV)/bin/python -m testkit.settings_tables

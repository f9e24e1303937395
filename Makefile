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

.PHONY: setup sync test demo report auth

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Meltano and, in Meltano's own environment, target-turso (it carries the libSQL
# state backend) and listening-report (its `sync-alerts` runs beside each sync), then
# the plugins, each in its own virtualenv.
setup: $(VENV)/bin/python
	$(VENV)/bin/python -m pip install -q --upgrade pip uv
	$(VENV)/bin/uv pip install -q --python $(VENV)/bin/python "meltano>=4.4,<5" -e ./target-turso -e ./listening-report
	$(MELTANO) install

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
	$(VENV)/bin/python tests/testkit/demo.py

test:
	.ci/run

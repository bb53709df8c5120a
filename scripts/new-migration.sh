#!/usr/bin/env bash
# Generate a migration for what the models have and the migrations lack:
#   scripts/new-migration.sh "what changed"
set -euo pipefail
message="$1"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
.venv/bin/python - "$scratch/scratch.db" "$message" <<'PY'
import sys
from alembic import command
from ossbss.bootstrap import alembic_config
config = alembic_config(f"sqlite:///{sys.argv[1]}")
config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
command.upgrade(config, "head")
command.revision(config, message=sys.argv[2], autogenerate=True)
PY
newest="$(ls -t migrations/versions/*.py | head -n 1)"
sed -i 's/astext_type=Text()/astext_type=sa.Text()/g' "$newest"
.venv/bin/ruff check --fix -q "$newest" || true
.venv/bin/ruff format -q "$newest"
echo "$newest"

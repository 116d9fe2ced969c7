#!/bin/sh
# Lighthouse on the phone screens (installs Node lighthouse with npm on first use); see lighthouse.py.
exec "$(dirname "$0")/../.venv/bin/python" "$(dirname "$0")/lighthouse.py" "$@"

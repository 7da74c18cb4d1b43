#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 needs 3.10, not 3.11), or explain
# what to install and exit 1. Looks at python3.10 on PATH, then pyenv, then /usr/bin.
set -u
works() { "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }
candidates=()
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  for p in "$(pyenv root)"/versions/3.10*/bin/python3.10; do candidates+=("$p"); done
fi
for p in "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  candidates+=("$p")
done
for p in "${candidates[@]}"; do
  if [ -x "$p" ] && works "$p"; then echo "$p"; exit 0; fi
done
cat >&2 <<'MSG'
broekzak needs Python 3.10 (Rasa 3.6 does not run on 3.11 or newer) and found none.
Install one, for example:
  - with pyenv:        pyenv install 3.10.13
  - on Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv   (deadsnakes PPA on Ubuntu)
  - on macOS:          brew install python@3.10
Then run the make command again.
MSG
exit 1

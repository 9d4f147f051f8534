#!/usr/bin/env bash
# Prints, one a line, what the bash completion COMPLETION offers after BERTH WORD...
#   complete.sh COMPLETION BERTH WORD...   (the last word is the one being completed)
set -euo pipefail
source "$1"
COMP_WORDS=("${@:2}")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
_berth
printf '%s\n' "${COMPREPLY[@]}"

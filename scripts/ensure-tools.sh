#!/usr/bin/env bash
# Makes sure the tools `make dev` and `make test` need are there: a tool
# already on PATH is used as it is; moto_server and cfn-lint, when missing,
# are installed with pip into a project-local Python environment ($VENV,
# default .venv/, whose bin/ the Makefile puts at the end of PATH); Chromium
# (the browser tests drive it), when missing, is installed from the Debian
# packages with apt-get when running as root. When a tool is missing and
# cannot be installed, it prints one line naming the tool and the command
# that installs it, and exits 1.
#
# Usage: scripts/ensure-tools.sh [-v] TOOL...   (TOOL: moto_server, cfn-lint, chromium, node, npm)
#   -v  also say where each tool was found
# Environment: VENV, PYTHON (default python3), MOTO_REQUIREMENT,
# CFN_LINT_REQUIREMENT; pip's own settings (PIP_INDEX_URL, ...) apply;
# TL_CHROMIUM names a Chromium or Chrome binary to use; APT_GET (default
# apt-get) is the command that installs Debian packages.
set -uo pipefail

VENV="${VENV:-.venv}"
APT_GET="${APT_GET:-apt-get}"
PYTHON="${PYTHON:-python3}"
MOTO_REQUIREMENT="${MOTO_REQUIREMENT:-moto[server]==5.2.*}"
CFN_LINT_REQUIREMENT="${CFN_LINT_REQUIREMENT:-cfn-lint==1.51.*}"

verbose=
if [ "${1:-}" = "-v" ]; then verbose=1; shift; fi

fail() { echo "make: $*" >&2; exit 1; }
# The names Chromium goes by (tests/browser looks for the same ones).
CHROMIUM_NAMES="chromium chromium-browser google-chrome google-chrome-stable"
chromium_path() {
	if [ -n "${TL_CHROMIUM:-}" ]; then command -v "$TL_CHROMIUM"; return; fi
	for name in $CHROMIUM_NAMES; do command -v "$name" && return; done
	return 1
}
have() {
	case "$1" in
	chromium) chromium_path >/dev/null 2>&1 ;;
	*) command -v "$1" >/dev/null 2>&1 || [ -x "$VENV/bin/$1" ] ;;
	esac
}
where() {
	case "$1" in
	chromium) chromium_path ;;
	*) command -v "$1" 2>/dev/null || echo "$VENV/bin/$1" ;;
	esac
}

# ensure_chromium installs Chromium from the Debian packages, as root.
ensure_chromium() {
	local cmd="apt-get install -y chromium"
	[ "$(id -u)" -eq 0 ] || fail "chromium is missing (the browser tests drive it headless): run as root: $cmd (or set TL_CHROMIUM to a Chromium or Chrome binary)"
	mkdir -p "$VENV" || fail "chromium is missing: run as root: $cmd"
	local log="$VENV/install-chromium.log"
	echo "make: chromium is missing: installing it with $cmd"
	{ "$APT_GET" update -qq && DEBIAN_FRONTEND=noninteractive "$APT_GET" install -y -qq chromium; } >"$log" 2>&1 ||
		fail "chromium is missing, and '$cmd' failed (no Debian package source reachable? see $log): run it as root, or set TL_CHROMIUM to a Chromium or Chrome binary"
	have chromium || fail "chromium missing after $cmd (see $log): install Chromium or set TL_CHROMIUM"
}

# The pip requirement that installs a Python tool.
requirement() {
	case "$1" in
	moto_server) echo "$MOTO_REQUIREMENT" ;;
	cfn-lint) echo "$CFN_LINT_REQUIREMENT" ;;
	esac
}

missing_python=() # Python tools to install
for tool in "$@"; do
	have "$tool" && continue
	case "$tool" in
	moto_server | cfn-lint) missing_python+=("$tool") ;;
	chromium) ensure_chromium ;;
	node | npm) fail "$tool is missing: install Node.js 20 and npm (e.g. apt-get install nodejs npm, or https://nodejs.org)" ;;
	*) fail "$tool is missing" ;;
	esac
done

if [ ${#missing_python[@]} -gt 0 ]; then
	if [ ${#missing_python[@]} -eq 1 ]; then
		missing="${missing_python[0]} is missing" it=it
	else
		missing="${missing_python[0]} and ${missing_python[1]} are missing" it=them
	fi
	reqs=()
	for tool in "${missing_python[@]}"; do reqs+=("$(requirement "$tool")"); done
	quoted=$(printf "'%s' " "${reqs[@]}")
	pip_cmd="pip install ${quoted% }"
	command -v "$PYTHON" >/dev/null 2>&1 ||
		fail "$missing, and $PYTHON is not there to install $it: install Python 3 (e.g. apt-get install python3 python3-venv), then run: $pip_cmd"
	log="$VENV/install.log"
	mkdir -p "$VENV" || fail "$missing, and $VENV/ cannot be made to install $it: run $pip_cmd"
	if [ ! -x "$VENV/bin/python" ]; then
		"$PYTHON" -m venv "$VENV" >"$log" 2>&1 ||
			fail "$missing, and '$PYTHON -m venv $VENV' failed to make a Python environment for $it (see $log; on Debian or Ubuntu: apt-get install python3-venv); or run: $pip_cmd"
	fi
	echo "make: $missing: installing ${quoted% } into $VENV/"
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${reqs[@]}" >>"$log" 2>&1 ||
		fail "$missing, and pip could not install $it into $VENV/ (no package index reachable? see $log): run $pip_cmd, or set PIP_INDEX_URL and run make tools"
	for tool in "${missing_python[@]}"; do
		[ -x "$VENV/bin/$tool" ] || fail "$tool missing after installing $(requirement "$tool") into $VENV/ (see $log): run $pip_cmd"
	done
fi

if [ -n "$verbose" ]; then
	for tool in "$@"; do echo "$tool: $(where "$tool")"; done
fi
exit 0

#!/usr/bin/env bash
# Exercises scripts/ensure-tools.sh (run by .ci/run) on a PATH without
# moto_server and cfn-lint:
#   1. tools on PATH are used as they are, nothing is installed;
#   2. missing, with no package index: exit 1 and one line on stderr naming
#      the tools and the pip command;
#   3. missing, with an index that has them: installed into the project's
#      Python environment, where the Makefile's PATH finds them. The index is
#      a local folder holding stand-in wheels named moto 5.2 and cfn-lint
#      1.51 (the real ones need a package index this machine may not reach;
#      the real tools are what every other test uses);
#   4. Chromium missing and apt-get failing: exit 1 and one line naming the
#      apt-get command (installing it for real is what make test does where
#      it is missing; .ci/run's make tools).
set -euo pipefail
cd "$(dirname "$0")/.."

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "test-ensure-tools: FAIL: $*" >&2; exit 1; }
python=$(command -v python3) || fail "python3 is needed"
bare_path=/usr/bin:/bin # holds python3, node and the coreutils, not moto_server or cfn-lint
for tool in moto_server cfn-lint; do
	if PATH=$bare_path command -v "$tool" >/dev/null; then
		echo "test-ensure-tools: $tool is in $bare_path: cannot test its installation here (skipped)"
		exit 0
	fi
done

passed=0
echo "== 1. tools on PATH are used"
if command -v moto_server >/dev/null && command -v cfn-lint >/dev/null; then
	out=$(VENV="$T/venv1" bash scripts/ensure-tools.sh -v moto_server cfn-lint)
	[ ! -e "$T/venv1" ] || fail "created $T/venv1 although the tools are on PATH"
	grep -qx "moto_server: $(command -v moto_server)" <<<"$out" || fail "unexpected report: $out"
	passed=$((passed + 1))
else
	echo "(moto_server or cfn-lint not on PATH here: skipped)"
fi

echo "== 2. missing, and no package index answers"
set +e
PATH=$bare_path VENV="$T/venv2" PYTHON="$python" PIP_INDEX_URL=http://127.0.0.1:9/simple PIP_FIND_LINKS= PIP_RETRIES=0 \
	bash scripts/ensure-tools.sh moto_server cfn-lint >"$T/out2" 2>"$T/err2"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "exit $rc, want 1"
[ "$(wc -l <"$T/err2")" -eq 1 ] || fail "stderr is not one line: $(cat "$T/err2")"
grep -q "^make: moto_server and cfn-lint are missing, and pip could not install them .* run pip install 'moto\[server\]==5.2.\*' 'cfn-lint==1.51.\*'" "$T/err2" ||
	fail "stderr: $(cat "$T/err2")"
passed=$((passed + 1))

echo "== 3. missing, and an index has them"
mkdir -p "$T/wheels"
"$python" - "$T/wheels" <<'PY'
import base64, hashlib, sys, zipfile
def wheel(dist, version, script, extra=""):
    module = dist.replace("-", "_") + "_standin"
    info = f"{dist.replace('-', '_')}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"def main():\n    print('{dist} {version} (stand-in)')\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n" + (f"Provides-Extra: {extra}\n" if extra else ""),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test-ensure-tools\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[console_scripts]\n{script} = {module}:main\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(f"{sys.argv[1]}/{dist.replace('-', '_')}-{version}-py3-none-any.whl", "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
wheel("moto", "5.2.99", "moto_server", extra="server")
wheel("cfn-lint", "1.51.99", "cfn-lint")
PY
PATH=$bare_path VENV="$T/venv3" PYTHON="$python" PIP_NO_INDEX=1 PIP_FIND_LINKS="$T/wheels" \
	bash scripts/ensure-tools.sh moto_server cfn-lint >"$T/out3" 2>"$T/err3" || fail "exit $?: $(cat "$T/err3")"
grep -q "installing 'moto\[server\]==5.2.\*' 'cfn-lint==1.51.\*' into $T/venv3/" "$T/out3" || fail "stdout: $(cat "$T/out3")"
[ "$("$T/venv3/bin/moto_server")" = "moto 5.2.99 (stand-in)" ] || fail "moto_server not installed into $T/venv3"
# The Makefile puts the environment's bin/ on PATH, after the system's.
out=$(PATH=$bare_path:$(dirname "$(command -v go)") make --no-print-directory VENV="$T/venv3" tools)
grep -qx "moto_server: $T/venv3/bin/moto_server" <<<"$out" || fail "make tools: $out"
grep -qx "cfn-lint: $T/venv3/bin/cfn-lint" <<<"$out" || fail "make tools: $out"
# Once installed, nothing is installed again.
PATH=$bare_path VENV="$T/venv3" PIP_NO_INDEX=1 bash scripts/ensure-tools.sh moto_server cfn-lint >"$T/out4"
[ ! -s "$T/out4" ] || fail "installed again: $(cat "$T/out4")"
passed=$((passed + 1))

echo "== 4. chromium missing, and apt-get cannot install it"
mkdir -p "$T/bin"
for cmd in id mkdir; do ln -s "$(command -v "$cmd")" "$T/bin/$cmd"; done
set +e
PATH=$T/bin TL_CHROMIUM= APT_GET=false VENV="$T/venv5" "$(command -v bash)" scripts/ensure-tools.sh chromium >"$T/out5" 2>"$T/err5"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "chromium: exit $rc, want 1"
[ "$(wc -l <"$T/err5")" -eq 1 ] || fail "chromium: stderr is not one line: $(cat "$T/err5")"
grep -q "^make: chromium is missing.*apt-get install -y chromium" "$T/err5" || fail "chromium: stderr: $(cat "$T/err5")"
passed=$((passed + 1))

echo "test-ensure-tools: $passed passed, 0 failed"

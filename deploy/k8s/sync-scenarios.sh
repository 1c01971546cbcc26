#!/usr/bin/env bash
# Copies scenarios/*.yaml into the kustomize base (kustomize reads no file above a kustomization's folder)
# and lists them in the simcluster-scenarios configMapGenerator. tests/Deploy fails until this has run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
base="$root/deploy/k8s/base"
rm -f "$base"/scenarios/*.yaml
cp "$root"/scenarios/*.yaml "$base/scenarios/"
python3 - "$base/kustomization.yaml" "$root/scenarios" <<'PY'
import os, re, sys
path, scenarios = sys.argv[1], sys.argv[2]
files = sorted(f for f in os.listdir(scenarios) if f.endswith(".yaml"))
text = open(path).read()
block = "".join(f"      - scenarios/{f}\n" for f in files)
text, n = re.subn(r"(  - name: simcluster-scenarios\n    files:\n)(?:      - scenarios/[^\n]*\n)*", lambda m: m.group(1) + block, text)
if n != 1:
    sys.exit("simcluster-scenarios generator not found in " + path)
open(path, "w").write(text)
PY
echo "synced $(ls "$base"/scenarios/*.yaml | wc -l) scenarios into deploy/k8s/base"

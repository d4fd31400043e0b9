#!/usr/bin/env bash
# Makes sure Node.js and npm are installed from the OS packages, for the
# grammY peer that scripts/bench-vs-grammy.sh measures cadrebot against
# (`make test` runs its smoke version, so the script cannot rot).
set -euo pipefail
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && exit 0
echo "ensure-node: installing nodejs and npm from the OS packages" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
command -v node >/dev/null 2>&1 || { echo "ensure-node: node still missing after the install" >&2; exit 1; }

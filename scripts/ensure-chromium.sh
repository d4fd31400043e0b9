#!/usr/bin/env bash
# Makes sure headless Chromium is installed from the OS packages for the
# playground's browser test (playground/browser_test.go), with fonts that
# render Chinese and emoji in its screenshots. Used by `make test`; the
# test fails in CI when the browser is missing and skips elsewhere.
set -euo pipefail

browser="${CADREBOT_CHROMIUM:-/usr/bin/chromium}"
pkgs=()
[ -x "$browser" ] || pkgs+=(chromium)
if command -v fc-list >/dev/null 2>&1; then
	fc-list :lang=zh family | grep -q . || pkgs+=(fonts-wqy-microhei)
	fc-list | grep -qi 'emoji' || pkgs+=(fonts-noto-color-emoji)
else
	pkgs+=(fonts-wqy-microhei fonts-noto-color-emoji)
fi
[ ${#pkgs[@]} -eq 0 ] && exit 0

echo "ensure-chromium: installing ${pkgs[*]} from the OS packages" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
[ -x "$browser" ] || { echo "ensure-chromium: $browser still missing after the install" >&2; exit 1; }

#!/usr/bin/env bash
# Regenerates chart/fonts/wqy-microhei-subset.ttf, the CJK font the digest
# chart embeds (chart/fonts/README.md), from Debian's fonts-wqy-microhei.
#
# The subset keeps, from WenQuanYi Micro Hei (face 0 of the .ttc, TrueType
# glyf outlines, which golang.org/x/image/font/sfnt reads):
#   - ASCII U+0020-007E and Latin-1 U+00A0-00FF;
#   - every character of GB 2312 (6,763 hanzi and 682 symbols: full-width
#     forms, CJK punctuation, kana, Greek, Cyrillic, pinyin);
#   - the 8,105 hanzi of 通用规范汉字表 (kTGH in Unihan), which add the
#     place-name characters GB 2312 lacks (垟 溇 漈 are Zhejiang villages);
#   - General Punctuation U+2010-2027, CJK Symbols and Punctuation
#     U+3000-303F and the full-width forms U+FF01-FF5E.
# Hinting, layout tables (GSUB/GPOS/GDEF) and vertical metrics are dropped:
# the chart renders unhinted horizontal text without shaping.
#
# Needs the Debian packages fonts-wqy-microhei, fonttools and unicode-data
# (run as root to have them installed). The output is deterministic for
# given package versions; README.md beside the font records them.
set -euo pipefail
cd "$(dirname "$0")/.."

src=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
unihan=/usr/share/unicode/Unihan_OtherMappings.txt.bz2
out=chart/fonts/wqy-microhei-subset.ttf
# Debian's fontTools is a module of the system Python, whatever python3 is
# first on PATH.
py=/usr/bin/python3

if [ ! -r "$src" ] || [ ! -r "$unihan" ] || ! command -v pyftsubset >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "font-subset: need: apt-get install fonts-wqy-microhei fonttools unicode-data" >&2
		exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei fonttools unicode-data >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$py" - "$unihan" >"$tmp/unicodes.txt" <<'EOF'
import bz2, sys
cps = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            cps.add(ord(bytes([hi, lo]).decode("gb2312")))
        except UnicodeDecodeError:
            pass
for line in bz2.open(sys.argv[1], "rt", encoding="utf-8"):
    f = line.split("\t")
    if len(f) >= 2 and f[1] == "kTGH":
        cps.add(int(f[0][2:], 16))
cps |= set(range(0x2010, 0x2028)) | set(range(0x3000, 0x3040)) | set(range(0xFF01, 0xFF5F))
print(",".join("U+%04X" % c for c in sorted(cps)))
EOF

"$py" /usr/bin/pyftsubset "$src" --font-number=0 \
	--unicodes-file="$tmp/unicodes.txt" \
	--layout-features='' --no-hinting \
	--drop-tables+=GSUB,GPOS,GDEF,vhea,vmtx,FFTM \
	--name-IDs='*' --name-languages='*' \
	--output-file="$out"

echo "font-subset: wrote $out ($(stat -c %s "$out") bytes)" >&2
dpkg-query -W -f='font-subset: from ${Package} ${Version}\n' fonts-wqy-microhei fonttools unicode-data >&2
sha256sum "$out" >&2

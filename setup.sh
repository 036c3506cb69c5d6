#!/usr/bin/env bash
# Installs GridDesk (editable, with the test tools) and the one thing it needs outside
# Python: a CJK font, so that the digest's chart shows Chinese labels (Debian/Ubuntu:
# fonts-wqy-microhei). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
   && [ ! -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-wqy-microhei >/dev/null
  else
    echo "setup.sh: install a CJK font (WenQuanYi Micro Hei or Noto Sans CJK) for the charts" >&2
  fi
fi
python="$(command -v python || command -v python3)"
"$python" -m pip install --quiet -e ".[test]"

#!/usr/bin/env bash
# Join what GPU runs returned (docs/training.md): parts <name>.part-NN from any of the given folders are
# concatenated in order into DEST/<name> and checked against SHA256SUMS-<name>; results.tgz is unpacked to
# DEST/results; model.onnx + results/model.json become DEST/package (its model.json sha256 is checked too).
#
#   bash scripts/gpu/join.sh --to DEST DIR... [--install models/drfds-hip]
set -euo pipefail
DEST=""
INSTALL=""
DIRS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --to) DEST="$2"; shift 2 ;;
    --install) INSTALL="$2"; shift 2 ;;
    *) DIRS+=("$1"); shift ;;
  esac
done
[ -n "$DEST" ] && [ "${#DIRS[@]}" -gt 0 ] || { echo "usage: join.sh --to DEST DIR... [--install DIR]" >&2; exit 2; }
mkdir -p "$DEST"
for d in "${DIRS[@]}"; do
  for s in "$d"/SHA256SUMS-*; do [ -e "$s" ] && cp "$s" "$DEST/"; done
done
for s in "$DEST"/SHA256SUMS-*; do
  [ -e "$s" ] || continue
  name="${s##*/SHA256SUMS-}"
  mapfile -t parts < <(for d in "${DIRS[@]}"; do ls "$d/$name".part-* 2>/dev/null || true; done | awk -F'.part-' '{print $NF "\t" $0}' | sort -u -k1,1 | cut -f2)
  if [ "${#parts[@]}" -eq 0 ]; then echo "join.sh: $name: no parts found (fetch them first)"; continue; fi
  cat "${parts[@]}" > "$DEST/$name"
  if (cd "$DEST" && sha256sum -c --quiet "SHA256SUMS-$name"); then
    echo "join.sh: $name OK (${#parts[@]} parts, $(stat -c %s "$DEST/$name") bytes)"
  else
    echo "join.sh: $name: sha256 mismatch — parts missing or damaged (have ${#parts[@]})" >&2
    rm -f "$DEST/$name"; exit 1
  fi
done
if [ -e "$DEST/results.tgz" ]; then
  tar -xzf "$DEST/results.tgz" -C "$DEST"
  echo "join.sh: results in $DEST/results"
fi
if [ -e "$DEST/model.onnx" ] && [ -e "$DEST/results/model.json" ]; then
  mkdir -p "$DEST/package"
  mv "$DEST/model.onnx" "$DEST/package/model.onnx"
  cp "$DEST/results/model.json" "$DEST/package/model.json"
  want=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['files']['model.onnx']['sha256'])" "$DEST/package/model.json")
  have=$(sha256sum "$DEST/package/model.onnx" | cut -d' ' -f1)
  [ "$want" = "$have" ] || { echo "join.sh: package model.onnx does not match its model.json" >&2; exit 1; }
  echo "join.sh: package in $DEST/package (sha256 matches model.json)"
  if [ -n "$INSTALL" ]; then
    mkdir -p "$INSTALL"
    cp "$DEST/package/model.onnx" "$DEST/package/model.json" "$INSTALL/"
    echo "join.sh: installed into $INSTALL"
  fi
fi

#!/usr/bin/env bash
# Pack ../shared/data/fracatlas into shards in .gpu-stage/ (git-ignored) that fit, together with the working tree,
# into the 64 MiB the device tool carries per call. Each shard is a plain tar (JPEGs do not compress) holding a
# part of images/; shard 1 also holds annotations.coco.json and README.md. A manifest lists sha256 of every shard.
#
#   bash scripts/gpu/stage.sh [--data DIR] [--shard-mib N] [--limit N]
#
# --shard-mib: default = 63 MiB - (size of the files the tool copies: tracked + untracked-not-ignored) - 1 MiB,
#              at most 54. --limit: only the first N images (dry runs/tests).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="../shared/data/fracatlas"
SHARD_MIB=""
LIMIT=0
OUTDIR=".gpu-stage"
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA="$2"; shift 2 ;;
    --shard-mib) SHARD_MIB="$2"; shift 2 ;;
    --limit) LIMIT="$2"; shift 2 ;;
    --out) OUTDIR="$2"; shift 2 ;;
    *) echo "stage.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$SHARD_MIB" ]; then
  tree_bytes=$( (git ls-files -co --exclude-standard -z 2>/dev/null || true) | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
  SHARD_MIB=$(( (63 * 1048576 - tree_bytes) / 1048576 - 1 ))
  [ "$SHARD_MIB" -gt 54 ] && SHARD_MIB=54
  echo "working tree the tool copies: $((tree_bytes / 1048576)) MiB -> shards of <= ${SHARD_MIB} MiB"
fi
if [ "$SHARD_MIB" -lt 1 ]; then
  echo "stage.sh: the working tree leaves no room for data in a 64 MiB call" >&2; exit 1
fi
mkdir -p "$OUTDIR"
rm -f "$OUTDIR"/fracatlas-*.tar "$OUTDIR"/manifest.json
/usr/bin/python3 - "$DATA" "$OUTDIR" "$SHARD_MIB" "$LIMIT" <<'PY'
import hashlib, json, os, sys, tarfile
data, outdir, shard_mib, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
coco = json.load(open(os.path.join(data, "annotations.coco.json")))
names = [im["file_name"] for im in coco["images"]]
if limit:
    # a small subset with hip and other images, fractured and not, so every stage has something to do
    frac = {a["image_id"] for a in coco["annotations"]}
    groups = {}
    for im in coco["images"]:
        groups.setdefault((bool(im.get("hip")), im["id"] in frac), []).append(im["file_name"])
    per = max(1, limit // 4)
    names = sorted(n for g in groups.values() for n in sorted(g)[:per])
    keep = set(names)
    ids = {im["id"] for im in coco["images"] if im["file_name"] in keep}
    coco["images"] = [im for im in coco["images"] if im["file_name"] in keep]
    coco["annotations"] = [a for a in coco["annotations"] if a["image_id"] in ids]
ann = json.dumps(coco).encode()
cap = shard_mib * 1048576 - 2 * 1048576 // 10  # tar headers and padding
shards, cur, size = [], [], len(ann) + 4096
for n in names:
    s = os.path.getsize(os.path.join(data, "images", n)) + 1024
    if cur and size + s > cap:
        shards.append(cur); cur, size = [], 0
    cur.append(n); size += s
shards.append(cur)
import io
manifest = {"format": "drfds-stage/1", "images": len(names), "shards": []}
for k, files in enumerate(shards, 1):
    path = os.path.join(outdir, f"fracatlas-{k}-of-{len(shards)}.tar")
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        if k == 1:
            ti = tarfile.TarInfo("fracatlas/annotations.coco.json"); ti.size = len(ann)
            tar.addfile(ti, io.BytesIO(ann))
            readme = os.path.join(data, "README.md")
            if os.path.exists(readme):
                tar.add(readme, "fracatlas/README.md")
        for n in files:
            tar.add(os.path.join(data, "images", n), f"fracatlas/images/{n}")
    h = hashlib.sha256(open(path, "rb").read()).hexdigest()
    manifest["shards"].append({"file": os.path.basename(path), "images": len(files), "bytes": os.path.getsize(path), "sha256": h})
    print(f"{path}: {len(files)} images, {os.path.getsize(path) / 1048576:.1f} MiB")
json.dump(manifest, open(os.path.join(outdir, "manifest.json"), "w"), indent=1)
PY

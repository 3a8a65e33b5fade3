#!/usr/bin/env bash
# The one GPU run of DR-FDS (docs/training.md): receive data shards, train (stage 1 pretrain for a time budget,
# stage 2 hip fine-tuning), evaluate, export, and hand results back in <= 16 MiB parts through $OUT.
#
#   bash scripts/gpu/run.sh --receive FILE...        copy carried files (data shards, checkpoint parts) to $WORK
#   bash scripts/gpu/run.sh --train [--minutes M] [--finetune-minutes F] [--bench-seconds S] [--resume]
#   bash scripts/gpu/run.sh --fetch NAME[:FROM-TO]    copy parts FROM..TO (1-based) of a returned file to $OUT
#   bash scripts/gpu/run.sh --dry-run                 the whole flow on the CPU: tiny subset, tiny model, seconds
#
# --receive and --train may be combined in one call (the last shard and the training). State lives in $WORK
# (default /tmp/drfds-gpu, outside the repo); it survives between calls only while the machine stays warm.
# --resume continues stage 1 from a checkpoint: $WORK/runs/pretrain/last.pt if present, else the parts of
# pretrain.ckpt received with --receive (joined and sha256-checked).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO"
WORK="${DRFDS_GPU_WORK:-/tmp/drfds-gpu}"
OUT="${OUT:-$WORK/out}"
CONFIG="trainer/configs/pretrain.toml"
FT_CONFIG="trainer/configs/finetune.toml"
MINUTES=6
FT_MINUTES=1.2
BENCH_SECONDS=15
PART_BYTES=$((15 * 1048576))
EXTRA=()
RECEIVE=()
TRAIN=0
RESUME=0
FETCH=""
DRY=0

if [ -z "${PYTHON:-}" ]; then
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c "import torch, torchvision, onnx, PIL" 2>/dev/null; then PYTHON="$p"; break; fi
  done
fi
PYTHON="${PYTHON:?no python with torch, torchvision, onnx and PIL found}"

while [ $# -gt 0 ]; do
  case "$1" in
    --receive) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do RECEIVE+=("$1"); shift; done ;;
    --train) TRAIN=1; shift ;;
    --minutes) MINUTES="$2"; shift 2 ;;
    --finetune-minutes) FT_MINUTES="$2"; shift 2 ;;
    --bench-seconds) BENCH_SECONDS="$2"; shift 2 ;;
    --resume) RESUME=1; shift ;;
    --fetch) FETCH="$2"; shift 2 ;;
    --config) CONFIG="$2"; shift 2 ;;
    --finetune-config) FT_CONFIG="$2"; shift 2 ;;
    --set) EXTRA+=(--set "$2"); shift 2 ;;
    --dry-run) DRY=1; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

say() { echo "[run.sh $(date -u +%H:%M:%S)] $*"; }

if [ "$DRY" = 1 ]; then
  # The whole flow on the CPU in a scratch folder: stage a tiny subset, receive each shard in its own "call",
  # train the tiny model for seconds, fetch everything back, join it and check the sha256 sums.
  SCR="$(mktemp -d /tmp/drfds-dry.XXXXXX)"
  export DRFDS_GPU_WORK="$SCR/work"
  say "dry run in $SCR"
  bash "$REPO/scripts/gpu/stage.sh" --limit 40 --shard-mib 1 --out "$SCR/stage"
  for shard in "$SCR"/stage/fracatlas-*.tar; do
    OUT="$SCR/out-receive" bash "$0" --receive "$shard" "$SCR/stage/manifest.json"
  done
  DRY_SET=(--set data.short_side=128 --set data.max_side=214 --set train.workers=2 --set train.batch_size=2
           --set train.warmup_iters=1 --set train.log_every=1 --set finetune.epochs=2 --set finetune.warmup_iters=1
           --set data.limit=0)
  OUT="$SCR/out-train" bash "$0" --train --config trainer/configs/tiny.toml --finetune-config trainer/configs/tiny.toml \
    --minutes 0.05 --finetune-minutes 0.2 --bench-seconds 1 "${DRY_SET[@]}"
  OUT="$SCR/out-fetch1" bash "$0" --fetch "pretrain.ckpt:1-4"
  OUT="$SCR/out-fetch2" bash "$0" --fetch "pretrain.ckpt:5-8"
  # resume from the returned checkpoint in a fresh work folder (as a later session would)
  export DRFDS_GPU_WORK="$SCR/work2"
  OUT="$SCR/out-receive2" bash "$0" --receive "$SCR"/stage/fracatlas-*.tar "$SCR/stage/manifest.json" \
    "$SCR"/out-fetch1/* "$SCR"/out-fetch2/*
  OUT="$SCR/out-train2" bash "$0" --train --resume --config trainer/configs/tiny.toml \
    --finetune-config trainer/configs/tiny.toml --minutes 0.1 --finetune-minutes 0.1 --bench-seconds 0 "${DRY_SET[@]}"
  bash "$REPO/scripts/gpu/join.sh" --to "$SCR/joined" "$SCR"/out-train2 "$SCR"/out-fetch1 "$SCR"/out-fetch2
  test -s "$SCR/joined/package/model.onnx"
  test -s "$SCR/joined/package/model.json"
  test -s "$SCR/joined/pretrain.ckpt"
  test -s "$SCR/joined/results/summary.md"
  say "dry run OK: $SCR/joined"
  cat "$SCR/joined/results/summary.md"
  exit 0
fi

mkdir -p "$WORK"/{in,data,runs,return} "$OUT"

if [ "${#RECEIVE[@]}" -gt 0 ]; then
  for f in "${RECEIVE[@]}"; do
    case "$(basename "$f")" in
      fracatlas-*.tar) tar -xf "$f" -C "$WORK/data"; say "unpacked $(basename "$f") -> $WORK/data/fracatlas" ;;
      *) cp "$f" "$WORK/in/"; say "received $(basename "$f")" ;;
    esac
  done
  if [ -f "$WORK/in/manifest.json" ]; then
    "$PYTHON" - "$WORK/in/manifest.json" "$WORK/data/fracatlas" <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
have = len(os.listdir(os.path.join(sys.argv[2], "images"))) if os.path.isdir(os.path.join(sys.argv[2], "images")) else 0
print(f"data: {have} of {m['images']} images present")
PY
  fi
fi

if [ "$TRAIN" = 1 ]; then
  # whatever happens, hand back the logs written so far
  trap 'rc=$?; if [ $rc -ne 0 ] && [ -d "$WORK/results" ]; then tar -czf "$OUT/results-failed.tgz" -C "$WORK" results 2>/dev/null || true; fi' EXIT
  DATA="$WORK/data/fracatlas"
  test -f "$DATA/annotations.coco.json" || { echo "run.sh: no data in $DATA: --receive the shards first" >&2; exit 1; }
  RUNS="$WORK/runs"
  RES="$WORK/results"
  mkdir -p "$RES"
  COMMON=(--data "$DATA" --set "data.cache_dir=\"$WORK/cache\"" "${EXTRA[@]}")
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader > "$RES/device.txt" 2>/dev/null || echo cpu > "$RES/device.txt"
  "$PYTHON" -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'cuda', torch.cuda.is_available())" | tee -a "$RES/device.txt"

  if [ "$BENCH_SECONDS" != 0 ]; then
    say "speed: DR-FDS loop vs torchvision plain recipe, ${BENCH_SECONDS}s each"
    "$PYTHON" -m trainer bench --config "$CONFIG" "${COMMON[@]}" --seconds "$BENCH_SECONDS" --out "$RES/bench.json" \
      2>&1 | tee "$RES/bench.log" || say "bench failed (see bench.log); training continues"
  fi

  RESUME_ARG=()
  if [ "$RESUME" = 1 ] && [ ! -f "$RUNS/pretrain/last.pt" ]; then
    if ls "$WORK"/in/pretrain.ckpt.part-* >/dev/null 2>&1; then
      cat "$WORK"/in/pretrain.ckpt.part-* > "$WORK/in/pretrain.ckpt"
      (cd "$WORK/in" && grep ' pretrain.ckpt$' SHA256SUMS-pretrain.ckpt | sha256sum -c -)
      RESUME_ARG=(--resume "$WORK/in/pretrain.ckpt")
    else
      echo "run.sh: --resume but no checkpoint ($RUNS/pretrain/last.pt or received pretrain.ckpt parts)" >&2; exit 1
    fi
  fi
  # the cosine schedule spans everything trained so far plus this run's budget
  PREV=$("$PYTHON" - "${RESUME_ARG[1]:-$RUNS/pretrain/last.pt}" <<'PY'
import os, sys
sys.path.insert(0, os.getcwd())
p = sys.argv[1]
if os.path.exists(p):
    from trainer.checkpoint import load_checkpoint
    print(load_checkpoint(p).get("train_seconds", 0.0) / 60.0)
else:
    print(0.0)
PY
)
  TOTAL=$("$PYTHON" -c "print($PREV + $MINUTES)")
  say "stage 1: pretrain ${MINUTES} min (schedule total ${TOTAL} min)"
  if ! "$PYTHON" -m trainer pretrain --config "$CONFIG" "${COMMON[@]}" --set "train.minutes=$TOTAL" \
      --set "train.run_minutes=$MINUTES" --out "$RUNS/pretrain" "${RESUME_ARG[@]}" > "$RES/pretrain.log" 2>&1; then
    tail -n 30 "$RES/pretrain.log"; echo "run.sh: pretraining failed" >&2
    test -f "$RUNS/pretrain/last.pt" || exit 1
    say "continuing with the last periodic checkpoint"
  fi
  grep '"event"' "$RES/pretrain.log" | cut -c1-400 || true
  grep '"iter"' "$RES/pretrain.log" | grep -v '"event"' | tail -n 3 | cut -c1-300 || true

  say "stage 2: fine-tune on hip train, best epoch by hip tune AUC (${FT_MINUTES} min at most)"
  rm -rf "$RUNS/finetune"
  if ! "$PYTHON" -m trainer finetune --config "$FT_CONFIG" "${COMMON[@]}" --set "finetune.minutes=$FT_MINUTES" \
      --pretrained "$RUNS/pretrain/last.pt" --out "$RUNS/finetune" > "$RES/finetune.log" 2>&1; then
    tail -n 30 "$RES/finetune.log"; echo "run.sh: fine-tuning failed" >&2
    test -f "$RUNS/finetune/best.pt" || exit 1
    say "continuing with the best epoch so far"
  fi
  tail -n 1 "$RES/finetune.log" | cut -c1-400

  say "evaluate pretrain-only and fine-tuned models on hip tune / hip test / all test"
  for model in pretrain:"$RUNS/pretrain/last.pt" finetune:"$RUNS/finetune/best.pt"; do
    name="${model%%:*}"; ck="${model#*:}"
    for split in hip-tune hip-test all-test; do
      "$PYTHON" -m trainer evaluate --config "$FT_CONFIG" "${COMMON[@]}" --checkpoint "$ck" --split "$split" \
        --out "$RES/$name.$split.coco.json" --summary "$RES/$name.$split.summary.json" > /dev/null
    done
  done

  for name in pretrain finetune; do
    "$PYTHON" -m trainer gallery --config "$FT_CONFIG" "${COMMON[@]}" --results "$RES/$name.hip-test.coco.json" \
      --split hip-test --out "$RES/gallery-$name-hip-test" --max-images 8 > /dev/null || say "gallery $name failed"
  done

  say "export the fine-tuned model (int8 weights) and the pretrain checkpoint"
  rm -rf "$WORK/package"
  "$PYTHON" -m trainer export --config "$FT_CONFIG" "${COMMON[@]}" --checkpoint "$RUNS/finetune/best.pt" \
    --out "$WORK/package" --compare --metrics "$RES/finetune.hip-test.summary.json" > "$RES/export.json"
  "$PYTHON" -m trainer pack-checkpoint "$RUNS/pretrain/last.pt" "$WORK/return/pretrain.ckpt" > /dev/null
  "$PYTHON" -m trainer pack-checkpoint "$RUNS/finetune/best.pt" "$WORK/return/finetune.ckpt" > /dev/null
  cp "$RUNS/pretrain/log.jsonl" "$RES/pretrain.log.jsonl"
  cp "$RUNS/finetune/log.jsonl" "$RES/finetune.log.jsonl"
  cp "$WORK/package/model.json" "$RES/model.json"

  "$PYTHON" - "$RES" <<'PY' > "$RES/summary.md"
import glob, json, os, sys
res = sys.argv[1]
print("# DR-FDS GPU run summary\n")
print("device:", open(os.path.join(res, "device.txt")).read().strip().replace("\n", "; "), "\n")
if os.path.exists(os.path.join(res, "bench.json")):
    print(json.load(open(os.path.join(res, "bench.json")))["markdown"], "\n")
print("| model | split | images | fractured | AUC | sensitivity @0.4 | specificity @0.4 | box recall | box precision |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
f = lambda v: "—" if v is None else f"{v:.4f}"
for name in ("pretrain", "finetune"):
    for split in ("hip-tune", "hip-test", "all-test"):
        p = os.path.join(res, f"{name}.{split}.summary.json")
        if os.path.exists(p):
            s = json.load(open(p))
            print(f"| {name} | {split} | {s['images']} | {s['fractured']} | {f(s['auc'])} | {f(s['sensitivity'])} | "
                  f"{f(s['specificity'])} | {f(s['boxRecall'])} | {f(s['boxPrecision'])} |")
ends = [json.loads(l) for l in open(os.path.join(res, "pretrain.log.jsonl")) if '"event": "end"' in l]
if ends:
    e = ends[-1]
    print(f"\npretrain: {e['iter']} iterations, {e['images_seen']} images, {e['train_minutes']} min, "
          f"{e['images_per_s']} images/s, schedule done: {e['done']}")
ft = [json.loads(l) for l in open(os.path.join(res, "finetune.log.jsonl")) if '"event": "end"' in l]
if ft:
    e = ft[-1]
    print(f"finetune: {e['epochs']} epochs, best epoch {e['best_epoch']} (tune AUC {e['best_tune_auc']}), "
          f"pretrained tune AUC {e['pretrained_tune_auc']}, hard positives {e['hard_positives']}")
PY
  tar -czf "$WORK/return/results.tgz" -C "$WORK" results
  cp "$WORK/package/model.onnx" "$WORK/return/model.onnx"
  # split everything returnable into parts; write the sums
  (cd "$WORK/return" && for f in results.tgz model.onnx pretrain.ckpt finetune.ckpt; do
     rm -f "$f".part-*; split -b "$PART_BYTES" -d -a 2 "$f" "$f.part-"; sha256sum "$f" > "SHA256SUMS-$f"; done)
  # this call returns the results and the package (model.onnx parts); checkpoints come with --fetch
  cp "$WORK/return/SHA256SUMS-results.tgz" "$WORK/return/SHA256SUMS-model.onnx" "$OUT/"
  cp "$WORK"/return/results.tgz.part-* "$WORK"/return/model.onnx.part-* "$OUT/"
  cat "$RES/summary.md"
  say "returned in \$OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
  say "checkpoints: --fetch pretrain.ckpt:1-4, pretrain.ckpt:5-8 (and finetune.ckpt:...): $(cd "$WORK/return" && ls pretrain.ckpt.part-* | wc -l) parts each"
fi

if [ -n "$FETCH" ]; then
  name="${FETCH%%:*}"; range="${FETCH#*:}"
  [ "$range" = "$FETCH" ] && range="1-8"
  from="${range%-*}"; to="${range#*-}"
  parts=("$WORK/return/$name".part-*)
  [ -e "${parts[0]}" ] || { echo "run.sh: nothing to fetch for $name in $WORK/return (machine restarted?)" >&2; exit 1; }
  i=0
  for p in "${parts[@]}"; do
    i=$((i + 1))
    if [ "$i" -ge "$from" ] && [ "$i" -le "$to" ]; then cp "$p" "$OUT/"; fi
  done
  cp "$WORK/return/SHA256SUMS-$name" "$OUT/"
  say "fetched $name parts $from..$to of ${#parts[@]}: $(cd "$OUT" && ls | tr '\n' ' ')"
fi

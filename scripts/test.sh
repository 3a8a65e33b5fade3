#!/usr/bin/env bash
# The whole test suite: type check, the trainer's tiny CPU tests (Debian's PyTorch), then every *.test.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json --noEmit
npm run --silent build
PYTHON="${DRFDS_PYTHON:-/usr/bin/python3}"
if [ -d trainer/tests ]; then
  "$PYTHON" -m pytest -q -p no:cacheprovider trainer/tests
fi
mapfile -t files < <(find src scripts -name '*.test.ts' | sort)
node --import tsx --test --test-concurrency=2 "${files[@]}"

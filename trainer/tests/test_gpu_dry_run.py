"""The whole GPU run script on the CPU (scripts/gpu/run.sh --dry-run): stage shards of a tiny subset, receive them
call by call, bench, pretrain, fine-tune, evaluate, export, split into parts, fetch, resume in a fresh work folder,
join and check sha256. Takes minutes on a 2-core machine, so it runs when DRFDS_GPU_DRY_RUN=1 (docs/training.md
records the last run)."""
import os
import subprocess

import pytest

from helpers import ROOT


@pytest.mark.skipif(os.environ.get("DRFDS_GPU_DRY_RUN") != "1", reason="set DRFDS_GPU_DRY_RUN=1 (takes minutes)")
def test_run_sh_dry_run():
    out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "gpu", "run.sh"), "--dry-run"], cwd=ROOT,
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "dry run OK" in out.stdout and "| finetune | hip-test |" in out.stdout

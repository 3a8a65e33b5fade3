"""python -m trainer <command> ... (pretrain, finetune, evaluate, export, split, bench). See docs/training.md."""
from .cli import main

raise SystemExit(main())

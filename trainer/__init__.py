"""DR-FDS detector trainer: model, data, pretraining, fine-tuning, evaluation and ONNX export (docs/training.md)."""

"""Exports the benchmark anchor: torchvision's plain fasterrcnn_resnet50_fpn (random init, 2 classes) to ONNX.

Used by scripts/bench/detect.ts to time the anchor side by side with the shipped package in the same run. The graph
keeps torchvision's own transform; min_size/max_size are set to the model input the shipped package gets, so the
anchor works at the same resolution (512 px short side). Usage: export_plain_fasterrcnn.py OUT.onnx HEIGHT WIDTH
"""
import sys

import torch
import torchvision


def main() -> None:
    out, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.manual_seed(0)
    model = torchvision.models.detection.fasterrcnn_resnet50_fpn(
        weights=None, weights_backbone=None, num_classes=2, min_size=min(height, width), max_size=max(height, width))
    model.eval()
    example = [torch.rand(3, height, width)]
    kwargs = {"dynamo": False} if int(torch.__version__.split(".")[0]) >= 2 else {}
    torch.onnx.export(model, (example,), out, opset_version=17, input_names=["image"],
                      output_names=["boxes", "labels", "scores"], **kwargs)


if __name__ == "__main__":
    main()

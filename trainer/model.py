"""The DR-FDS detector: Faster R-CNN with a ResNet backbone, FEM-1 (top-down fusion, 5 RPN levels) and FEM-2
(bottom-up enhancement feeding the R-CNN head).

Built from torchvision's detection parts (RegionProposalNetwork, RoIHeads, MultiScaleRoIAlign with a faster ONNX
level merge in trainer/roi_pool.py, AnchorGenerator, FastRCNNConvFCHead). torchvision's ``FasterRCNN`` hands the SAME
feature maps to the RPN and to the R-CNN head and resizes/normalises inside the graph; DR-FDS feeds FEM-1 maps to the RPN and FEM-2 maps to the head, and the package
contract (docs/model-package.md) keeps resizing and normalisation outside the graph. So this module wires the parts
itself instead of subclassing ``GeneralizedRCNN``.

Runs on torch 1.13 / torchvision 0.14 and torch 2.x / torchvision 0.2x.
"""
from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNConvFCHead, FastRCNNPredictor
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.roi_heads import RoIHeads
from torchvision.models.detection.rpn import RegionProposalNetwork, RPNHead
from torchvision.models.resnet import BasicBlock, Bottleneck

from .roi_pool import GatherMergeRoIAlign

# The full DR-FDS architecture (ResNet-50, 256-channel necks). Every key can be overridden by a config's [model].
DEFAULT_MODEL: Dict[str, Any] = {
    "in_channels": 1,
    "num_classes": 2,
    "backbone": "resnet50",
    "block": "bottleneck",
    "layers": [3, 4, 6, 3],
    "widths": [64, 128, 256, 512],
    "stem_width": 64,
    "norm": "group",  # "group" (GroupNorm, trains from scratch with small batches) or "batch"
    "gn_groups": 32,
    "neck_channels": 256,
    "anchor_sizes": [[16], [32], [64], [128], [256]],
    "aspect_ratios": [0.5, 1.0, 2.0],
    "rpn_pre_nms_top_n_train": 2000,
    "rpn_pre_nms_top_n_test": 1000,
    "rpn_post_nms_top_n_train": 2000,
    # 300 test-time proposals, as Faster R-CNN itself tested (Ren et al., NeurIPS 2015): each costs a 7x7x256
    # RoIAlign and 12.8 MMACs of the FC head; 500 -> 300 saved ~40 ms of ~0.7 s per image on a 2-core CPU (2026-12-01)
    "rpn_post_nms_top_n_test": 300,
    "rpn_nms_thresh": 0.7,
    "rpn_fg_iou_thresh": 0.7,
    "rpn_bg_iou_thresh": 0.3,
    "rpn_batch_size_per_image": 256,
    "rpn_positive_fraction": 0.5,
    "box_fg_iou_thresh": 0.5,
    "box_bg_iou_thresh": 0.5,
    "box_batch_size_per_image": 512,
    "box_positive_fraction": 0.25,
    "box_score_thresh": 0.05,
    "box_nms_thresh": 0.5,
    "box_detections_per_img": 100,
    # R-CNN box head on the 7x7 RoI features: convs (GroupNorm) then FC layers; default = Faster R-CNN's 2-FC head
    # (a 4-conv head costs ~115 GMACs per image at 1000 proposals: far too slow on a CPU)
    "head_conv_layers": 0,
    "head_fc_layers": [1024, 1024],
    "roi_output_size": 7,
    "roi_sampling_ratio": 2,
    "rpn_loss_weight": 1.0,  # the paper's zeta
    "rcnn_loss_weight": 0.1,  # the paper's eta
    # initialisation of the last layers (a test model may bias the fracture logit so its scores are not ~0)
    "cls_init_std": 0.01,
    "cls_fracture_bias": 0.0,
    "bbox_init_std": 0.001,
}


def model_config(overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    cfg = dict(DEFAULT_MODEL)
    for key, value in (overrides or {}).items():
        if key not in DEFAULT_MODEL:
            raise KeyError(f"unknown model option {key!r} (known: {', '.join(sorted(DEFAULT_MODEL))})")
        cfg[key] = value
    return cfg


def _groups(channels: int, wanted: int) -> int:
    g = min(wanted, channels)
    while channels % g:
        g -= 1
    return g


def norm_factory(kind: str, gn_groups: int):
    if kind == "group":
        return lambda c: nn.GroupNorm(_groups(c, gn_groups), c)
    if kind == "batch":
        return nn.BatchNorm2d
    raise ValueError(f"unknown norm {kind!r} (use 'group' or 'batch')")


class ResNetBackbone(nn.Module):
    """ResNet trunk returning C2..C5 (strides 4, 8, 16, 32). ResNet-50 = bottleneck, [3, 4, 6, 3], widths 64..512."""

    def __init__(self, in_channels: int, block: str, layers: List[int], widths: List[int], stem_width: int, norm):
        super().__init__()
        blk = {"bottleneck": Bottleneck, "basic": BasicBlock}[block]
        self.conv1 = nn.Conv2d(in_channels, stem_width, 7, 2, 3, bias=False)
        self.bn1 = norm(stem_width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = stem_width
        stages = []
        self.out_channels: List[int] = []
        for i, (n, planes) in enumerate(zip(layers, widths)):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or inplanes != planes * blk.expansion:
                down = nn.Sequential(nn.Conv2d(inplanes, planes * blk.expansion, 1, stride, bias=False),
                                     norm(planes * blk.expansion))
            blocks = [blk(inplanes, planes, stride, down, norm_layer=norm)]
            inplanes = planes * blk.expansion
            for _ in range(1, n):
                blocks.append(blk(inplanes, planes, norm_layer=norm))
            stages.append(nn.Sequential(*blocks))
            self.out_channels.append(inplanes)
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.GroupNorm, nn.BatchNorm2d)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # zero-init the last norm of each residual branch: each block starts as identity (trains better from scratch)
        for m in self.modules():
            if isinstance(m, Bottleneck):
                nn.init.zeros_(m.bn3.weight)
            elif isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)

    def forward(self, x: Tensor) -> List[Tensor]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        c2 = self.layer1(x)
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        c5 = self.layer4(c4)
        return [c2, c3, c4, c5]


def _conv_norm(cin: int, cout: int, k: int, stride: int, norm) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), norm(cout), nn.ReLU(inplace=True))


class FEM1(nn.Module):
    """Feature enhancement module 1: top-down multi-scale fusion (FPN-like).

    C2..C5 -> lateral 1x1 -> top-down nearest upsampling + sum (M) -> 3x3 conv (P2..P5), plus P6 = max-pool(P5)
    (stride 64). The five maps are the RPN's five levels (the paper's B1..B5)."""

    def __init__(self, in_channels: List[int], out_channels: int, norm):
        super().__init__()
        self.lateral = nn.ModuleList([nn.Conv2d(c, out_channels, 1) for c in in_channels])
        self.output = nn.ModuleList([_conv_norm(out_channels, out_channels, 3, 1, norm) for _ in in_channels])
        for m in self.lateral:
            nn.init.kaiming_uniform_(m.weight, a=1)
            nn.init.zeros_(m.bias)

    def forward(self, feats: List[Tensor]) -> List[Tensor]:
        laterals = [lat(f) for lat, f in zip(self.lateral, feats)]
        merged = [laterals[-1]]
        for lat in laterals[-2::-1]:
            up = F.interpolate(merged[0], size=lat.shape[-2:], mode="nearest")
            merged.insert(0, lat + up)
        outs = [conv(m) for conv, m in zip(self.output, merged)]
        outs.append(F.max_pool2d(outs[-1], 1, 2))
        return outs


class FEM2(nn.Module):
    """Feature enhancement module 2: a bottom-up path (PANet-like) that enhances the fused maps again.

    N2 = P2; N(i+1) = conv3x3(downsample_s2(N(i)) + P(i+1)); N6 = max-pool(N5). The maps N2..N5 feed the R-CNN head
    through multi-scale RoIAlign (the paper's N/C levels)."""

    def __init__(self, channels: int, levels: int, norm):
        super().__init__()
        self.down = nn.ModuleList([_conv_norm(channels, channels, 3, 2, norm) for _ in range(levels - 1)])
        self.fuse = nn.ModuleList([_conv_norm(channels, channels, 3, 1, norm) for _ in range(levels - 1)])

    def forward(self, p: List[Tensor]) -> List[Tensor]:
        outs = [p[0]]
        for i, (down, fuse) in enumerate(zip(self.down, self.fuse)):
            target = p[i + 1]
            d = down(outs[-1])
            # sizes match for inputs padded to a multiple of 32; resize keeps any other input size working
            d = F.interpolate(d, size=target.shape[-2:], mode="nearest")
            outs.append(fuse(d + target))
        outs.append(F.max_pool2d(outs[-1], 1, 2))
        return outs


def _as_dict(maps: List[Tensor]) -> "OrderedDict[str, Tensor]":
    return OrderedDict((str(i), m) for i, m in enumerate(maps))


class DRFDSDetector(nn.Module):
    """Faster R-CNN (DR-FDS). ``forward(images, image_sizes, targets=None)``.

    images: float [B, C, H, W], already normalised and padded. image_sizes: the unpadded (h, w) of each image
    (default: the tensor's H, W). Training returns a dict of weighted losses (plus ``loss``, their sum); eval returns
    a list of {boxes [N,4] x1y1x2y2, scores [N], labels [N] int64} in input pixels."""

    def __init__(self, cfg: Optional[Dict[str, Any]] = None):
        super().__init__()
        cfg = model_config(cfg)
        self.cfg = cfg
        norm = norm_factory(cfg["norm"], cfg["gn_groups"])
        self.backbone = ResNetBackbone(cfg["in_channels"], cfg["block"], cfg["layers"], cfg["widths"],
                                       cfg["stem_width"], norm)
        ch = cfg["neck_channels"]
        self.fem1 = FEM1(self.backbone.out_channels, ch, norm)
        self.fem2 = FEM2(ch, 4, norm)
        sizes = tuple(tuple(int(s) for s in level) for level in cfg["anchor_sizes"])
        if len(sizes) != 5:
            raise ValueError("anchor_sizes needs 5 levels (P2..P6)")
        ratios = (tuple(float(r) for r in cfg["aspect_ratios"]),) * len(sizes)
        anchors = AnchorGenerator(sizes, ratios)
        rpn_head = RPNHead(ch, anchors.num_anchors_per_location()[0])
        self.rpn = RegionProposalNetwork(
            anchors, rpn_head,
            cfg["rpn_fg_iou_thresh"], cfg["rpn_bg_iou_thresh"],
            cfg["rpn_batch_size_per_image"], cfg["rpn_positive_fraction"],
            dict(training=cfg["rpn_pre_nms_top_n_train"], testing=cfg["rpn_pre_nms_top_n_test"]),
            dict(training=cfg["rpn_post_nms_top_n_train"], testing=cfg["rpn_post_nms_top_n_test"]),
            cfg["rpn_nms_thresh"])
        roi_pool = GatherMergeRoIAlign(["0", "1", "2", "3"], cfg["roi_output_size"], cfg["roi_sampling_ratio"])
        rs = cfg["roi_output_size"]
        fcs = [int(v) for v in cfg["head_fc_layers"]]
        head = FastRCNNConvFCHead((ch, rs, rs), [ch] * cfg["head_conv_layers"], fcs, norm_layer=norm)
        predictor = FastRCNNPredictor(fcs[-1], cfg["num_classes"])
        nn.init.normal_(predictor.cls_score.weight, std=cfg["cls_init_std"])
        nn.init.zeros_(predictor.cls_score.bias)
        with torch.no_grad():
            predictor.cls_score.bias[1:] = cfg["cls_fracture_bias"]
        nn.init.normal_(predictor.bbox_pred.weight, std=cfg["bbox_init_std"])
        nn.init.zeros_(predictor.bbox_pred.bias)
        self.roi_heads = RoIHeads(
            roi_pool, head, predictor,
            cfg["box_fg_iou_thresh"], cfg["box_bg_iou_thresh"],
            cfg["box_batch_size_per_image"], cfg["box_positive_fraction"],
            None, cfg["box_score_thresh"], cfg["box_nms_thresh"], cfg["box_detections_per_img"])

    def features(self, images: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
        c = self.backbone(images)
        p = self.fem1(c)
        n = self.fem2(p[:4])
        return p, n

    def forward(self, images: Tensor, image_sizes: Optional[List[Tuple[int, int]]] = None,
                targets: Optional[List[Dict[str, Tensor]]] = None):
        if image_sizes is None:
            image_sizes = [(images.shape[-2], images.shape[-1])] * images.shape[0]
        image_list = ImageList(images, image_sizes)
        p, n = self.features(images)
        # the RPN and the head compute in float32 (box decoding and losses are not bf16-safe)
        p = [t.float() for t in p]
        n = [t.float() for t in n]
        with _no_autocast(images):
            proposals, rpn_losses = self.rpn(image_list, _as_dict(p), targets)
            detections, det_losses = self.roi_heads(_as_dict(n), proposals, image_list.image_sizes, targets)
        if self.training:
            w_rpn, w_rcnn = self.cfg["rpn_loss_weight"], self.cfg["rcnn_loss_weight"]
            losses = {k: v * w_rpn for k, v in rpn_losses.items()}
            losses.update({k: v * w_rcnn for k, v in det_losses.items()})
            losses["loss"] = sum(losses.values())
            return losses
        return detections


def bf16_autocast(device: torch.device, enabled: bool = True):
    """bf16 autocast on CUDA; a no-op elsewhere (CPU torch 1.13 cannot even build a disabled CUDA autocast)."""
    if device.type == "cuda" and enabled:
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


class _no_autocast:
    """Disable CUDA autocast inside (RPN/RoI heads run in float32); a no-op on the CPU."""

    def __init__(self, ref: Tensor):
        self.ctx = torch.autocast("cuda", enabled=False) if ref.is_cuda else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)
        return False


class ExportWrapper(nn.Module):
    """The graph the package ships: image [1, C, H, W] (normalised, padded) -> boxes, scores, labels."""

    def __init__(self, model: DRFDSDetector):
        super().__init__()
        self.model = model

    def forward(self, image: Tensor):
        det = self.model(image, [(image.shape[-2], image.shape[-1])])[0]
        return det["boxes"], det["scores"], det["labels"]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

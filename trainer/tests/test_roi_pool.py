"""The gather-merge RoI pooler equals torchvision's MultiScaleRoIAlign, eagerly and in onnxruntime, without scatters."""
import io
from collections import OrderedDict

import onnx
import torch
from torchvision.ops import MultiScaleRoIAlign

from trainer.roi_pool import GatherMergeRoIAlign


def inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    feats = OrderedDict((str(i), torch.randn(1, 8, 64 >> i, 80 >> i, generator=g)) for i in range(4))
    # boxes of every size so that each of the four levels gets some (level = f(sqrt(area)))
    xy = torch.rand(40, 2, generator=g) * 100
    wh = torch.cat([torch.full((10, 2), s) for s in (30.0, 150.0, 300.0, 520.0)]) * (0.8 + 0.4 * torch.rand(40, 2, generator=g))
    perm = torch.randperm(40, generator=g)  # levels interleaved, so the merge must restore the order
    boxes = torch.cat([xy, xy + wh], dim=1)[perm]
    return feats, [boxes], [(256, 320)]


def test_equals_torchvision_on_every_level():
    feats, boxes, sizes = inputs()
    ours = GatherMergeRoIAlign(["0", "1", "2", "3"], 7, 2)
    ref = MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
    a, b = ours(feats, boxes, sizes), ref(feats, boxes, sizes)
    levels = ref.map_levels(boxes)
    assert len(set(levels.tolist())) == 4
    assert a.shape == (40, 8, 7, 7) and torch.equal(a, b)


def test_gradients_equal_torchvision():
    feats, boxes, sizes = inputs(1)
    grads = []
    for cls in (GatherMergeRoIAlign, MultiScaleRoIAlign):
        f = OrderedDict((k, v.clone().requires_grad_()) for k, v in feats.items())
        cls(["0", "1", "2", "3"], 7, 2)(f, boxes, sizes).square().sum().backward()
        grads.append([v.grad for v in f.values()])
    for x, y in zip(*grads):
        assert torch.allclose(x, y, atol=1e-6)


class _Wrap(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = GatherMergeRoIAlign(["0", "1", "2", "3"], 7, 2)

    def forward(self, f0, f1, f2, f3, boxes):
        return self.pool(OrderedDict([("0", f0), ("1", f1), ("2", f2), ("3", f3)]), [boxes], [(256, 320)])


def test_exported_graph_merges_by_gather_not_by_feature_scatters():
    # numbers of the exported pooler are checked through onnxruntime-node with the whole model (test_export.py)
    feats, boxes, _ = inputs(2)
    buf = io.BytesIO()
    torch.onnx.export(_Wrap(), (*feats.values(), boxes[0]), buf, opset_version=17,
                      input_names=["f0", "f1", "f2", "f3", "boxes"], dynamic_axes={"boxes": {0: "n"}})
    ops = [n.op_type for n in onnx.load_from_string(buf.getvalue()).graph.node]
    assert ops.count("RoiAlign") == 4 and "Gather" in ops
    assert ops.count("ScatterElements") == 1  # the 1-D inverse permutation only

"""The detector's wiring: FEM-1 maps feed the RPN, FEM-2 maps the R-CNN head; loss weights; shapes."""
import torch

from helpers import TINY
from trainer.config import load_config
from trainer.model import DRFDSDetector, count_parameters


def tiny(**over):
    cfg = load_config(TINY)["model"]
    cfg.update(over)
    torch.manual_seed(0)
    return DRFDSDetector(cfg)


def targets():
    return [{"boxes": torch.tensor([[40.0, 30.0, 90.0, 70.0]]), "labels": torch.tensor([1])},
            {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}]


def test_rpn_gets_fem1_levels_and_head_gets_fem2_levels():
    m = tiny().eval()
    seen = {}
    m.rpn.head.register_forward_hook(lambda mod, inp, out: seen.__setitem__("rpn", inp[0]))
    m.roi_heads.box_roi_pool.register_forward_hook(lambda mod, inp, out: seen.__setitem__("roi", inp[0]))
    x = torch.randn(1, 1, 256, 320)
    with torch.no_grad():
        p, n = m.features(x)
        m(x)
    assert len(seen["rpn"]) == 5  # P2..P6
    for a, b in zip(seen["rpn"], p):
        assert torch.equal(a, b.float())
    strides = [256 // t.shape[-2] for t in seen["rpn"]]
    assert strides == [4, 8, 16, 32, 64]
    roi_maps = list(seen["roi"].values())
    for a, b in zip(roi_maps, n):
        assert torch.equal(a, b.float())
    assert not torch.equal(roi_maps[1], seen["rpn"][1])  # N3 is not P3: FEM-2 enhanced it


def test_loss_weights_are_the_papers():
    x = torch.randn(2, 1, 192, 256)
    sizes = [(192, 256), (160, 256)]
    out = {}
    for w in (0.1, 1.0):
        m = tiny(rcnn_loss_weight=w).train()
        torch.manual_seed(1)
        out[w] = m(x, sizes, targets())
    assert set(out[0.1]) == {"loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg", "loss"}
    assert torch.allclose(out[0.1]["loss_classifier"] * 10, out[1.0]["loss_classifier"], rtol=1e-4)
    assert torch.allclose(out[0.1]["loss_objectness"], out[1.0]["loss_objectness"], rtol=1e-5)
    total = sum(v for k, v in out[0.1].items() if k != "loss")
    assert torch.allclose(out[0.1]["loss"], total)


def test_a_few_steps_reduce_the_loss_on_one_image():
    m = tiny().train()
    opt = torch.optim.SGD(m.parameters(), lr=0.02, momentum=0.9)
    x = torch.zeros(1, 1, 192, 256)
    x[..., 60:100, 80:150] = 3.0
    tg = [{"boxes": torch.tensor([[80.0, 60.0, 150.0, 100.0]]), "labels": torch.tensor([1])}]
    losses = []
    for _ in range(12):
        torch.manual_seed(0)
        loss = m(x, [(192, 256)], tg)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.9 * losses[0] and min(losses[6:]) < min(losses[:6]), losses


def test_full_architecture_is_resnet50_sized():
    m = DRFDSDetector({})
    trunk = count_parameters(m.backbone)
    assert 23.4e6 < trunk < 23.6e6  # ResNet-50 trunk (1-channel stem, no fc)
    assert len(m.backbone.layer3) == 6 and m.backbone.out_channels == [256, 512, 1024, 2048]
    assert isinstance(m.backbone.bn1, torch.nn.GroupNorm)

"""Every parser architecture builds, runs and back-propagates; fusion and backbones behave as the paper says."""

from __future__ import annotations

import pytest
import torch

from parsing.datasets.meta import ATR, LIP
from parsing.losses import RPRLoss
from parsing.models.backbones import build_backbone
from parsing.models.factory import ARCHS, ModelSpec, build_model
from parsing.models.rpr import FUSIONS

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("fusion", FUSIONS)
@pytest.mark.parametrize("arch", ARCHS)
def test_every_arch_and_fusion_backpropagates_on_64px(arch: str, fusion: str) -> None:
    torch.manual_seed(0)
    built = build_model(arch, "tiny", LIP, fusion=fusion, width=0.125)
    out = built.net(torch.randn(2, 3, 64, 64))
    assert out.logits.shape[:2] == (2, 20)
    assert len(out.region_logits) == (2 if arch.startswith("rpr-") else 0)
    for region, scores in zip(built.spec.regions, out.region_logits, strict=True):
        assert scores.shape[1] == len(region.classes) + 1
    assert (out.edge_logits is not None) == arch.endswith("ce2p")
    label = torch.randint(0, 20, (2, 64, 64))
    label[:, :4] = 255
    loss = RPRLoss(20, built.spec.regions)(out, label)
    loss.total.backward()
    assert torch.isfinite(loss.total)
    grads = [p.grad for p in built.net.parameters() if p.requires_grad]
    assert all(g is not None for g in grads), "every parameter takes part in the loss"
    assert sum(float(g.abs().sum()) for g in grads) > 0


def test_late_fusion_adds_region_scores_onto_their_classes() -> None:
    built = build_model("rpr-ce2p", "tiny", ATR, width=0.125).net.eval()
    with torch.no_grad():
        out = built(torch.randn(1, 3, 64, 64))
    expected = out.image_logits.clone()
    for region, scores in zip(ATR.select_regions(), out.region_logits, strict=True):
        for j, k in enumerate(region.classes, start=1):
            expected[:, k] += scores[:, j]
    torch.testing.assert_close(out.logits, expected)
    face = ATR.class_id("face")  # in both the head and the body region
    assert not torch.allclose(out.logits[:, 0], out.logits[:, face])
    torch.testing.assert_close(out.logits[:, 0], out.image_logits[:, 0])  # background: image-level only
    belt = ATR.class_id("belt")  # in no region
    torch.testing.assert_close(out.logits[:, belt], out.image_logits[:, belt])


def test_regions_are_data_a_third_region_is_one_name() -> None:
    built = build_model("rpr-ce2p", "tiny", LIP, regions=["head", "body", "sunglasses"], width=0.125)
    assert [r.name for r in built.spec.regions] == ["head", "body", "sunglasses"]
    assert len(built.net.region_branches) == 3
    with pytest.raises(KeyError):
        build_model("rpr-ce2p", "tiny", LIP, regions=["tail"])
    with pytest.raises(ValueError):
        build_model("unet", "tiny", LIP)


def test_spec_round_trips_through_json() -> None:
    import json

    spec = build_model("rpr-deeplabv3", "tiny", ATR, fusion="mid", width=0.25).spec
    again = ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec


@pytest.mark.parametrize("name,channels", [("resnet18", (64, 128, 256, 512)), ("resnet50", (256, 512, 1024, 2048)),
                                           ("slim18", (32, 64, 128, 256))])
def test_backbones_put_f4_at_stride_16(name: str, channels: tuple[int, ...]) -> None:
    encoder = build_backbone(name).eval()
    with torch.no_grad():
        feats = encoder(torch.zeros(1, 3, 64, 64))
    assert tuple(f.shape[1] for f in feats) == channels == encoder.channels
    assert [f.shape[-1] for f in feats] == [16, 8, 4, 4]
    if name == "resnet18":  # the dilated BasicBlock keeps torchvision's parameter names (ImageNet weights load)
        from torchvision.models import resnet18

        reference = resnet18().state_dict()
        ours = {k.replace("stem.0.", "conv1.").replace("stem.1.", "bn1."): v for k, v in encoder.state_dict().items()}
        assert all(reference[k].shape == v.shape for k, v in ours.items())
        assert set(ours) == {k for k in reference if not k.startswith("fc.")}
    if name == "slim18":  # ResNet-18's layout (two blocks a stage) at half its widths: ~1/4 of the parameters
        n_slim = sum(p.numel() for p in encoder.parameters())
        n_r18 = sum(p.numel() for p in build_backbone("resnet18").parameters())
        assert len(encoder.layer3) == 2 and 0.2 < n_slim / n_r18 < 0.3


@pytest.mark.slow
def test_resnet101_parameter_counts_match_the_paper() -> None:
    """Paper Table 9: CE2P 66.61M, RPR-CE2P 113.65M parameters (ResNet-101, LIP's 20 classes)."""
    ce2p = build_model("ce2p", "resnet101", LIP).num_parameters() / 1e6
    rpr = build_model("rpr-ce2p", "resnet101", LIP).num_parameters() / 1e6
    assert abs(ce2p / 66.61 - 1) < 0.10, ce2p
    assert abs(rpr / 113.65 - 1) < 0.10, rpr

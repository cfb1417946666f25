"""Region and edge ground truth on hand-made labels, and the loss terms of Eq. 7."""

from __future__ import annotations

import pytest
import torch

from parsing.datasets.meta import LIP, Region
from parsing.losses import RPRLoss, balanced_edge_loss, edge_target, region_lookup, region_target
from parsing.models.rpr import ParsingOutput


def test_region_target_is_a_lookup() -> None:
    head = LIP.regions["head"]  # hat 1, face 13, sunglasses 4, hair 2 -> 1, 2, 3, 4
    label = torch.tensor([[[0, 1, 13, 4], [2, 5, 255, 14]]])
    y = region_target(label, region_lookup(head))
    assert y.tolist() == [[[0, 1, 2, 3], [4, 0, 255, 0]]]


def test_edge_target_marks_4_neighbour_changes_dilated_3x3() -> None:
    label = torch.zeros(1, 7, 7, dtype=torch.long)
    label[0, :, 4:] = 3           # a vertical boundary between columns 3 and 4
    label[0, 0, 0] = 255          # an ignore pixel is no edge and stays ignored
    y = edge_target(label)[0]
    # raw edge on columns 3 and 4, dilated by one pixel: columns 2..5
    expected = torch.zeros(7, 7, dtype=torch.long)
    expected[:, 2:6] = 1
    expected[0, 0] = 255
    assert torch.equal(y, expected)


def test_edge_target_ignores_boundaries_with_ignore_pixels() -> None:
    label = torch.full((1, 5, 5), 255, dtype=torch.long)
    label[0, 2, 2] = 1
    y = edge_target(label)[0]
    assert int((y == 1).sum()) == 0


def test_balanced_edge_loss_weights_classes_by_the_others_share() -> None:
    target = torch.tensor([[[1, 0, 0, 0]]])
    logits = torch.zeros(1, 2, 1, 4)
    logits[0, 1, 0, 0] = 2.0
    w = torch.tensor([1 / 4, 3 / 4])  # negatives weighted by the positive share and vice versa
    expected = torch.nn.functional.cross_entropy(logits, target, weight=w)
    assert balanced_edge_loss(logits, target).item() == pytest.approx(expected.item())
    assert torch.isfinite(balanced_edge_loss(logits, torch.zeros(1, 1, 4, dtype=torch.long)))


def test_loss_has_every_term_and_region_weights_follow_eq8() -> None:
    regions = (Region("a", (1,)), Region("b", (1, 2, 3)))
    crit = RPRLoss(4, regions)
    assert crit.region_weights == [4.0, 4 / 3]
    assert RPRLoss(4, regions, "uniform").region_weights == [1.0, 1.0]
    out = ParsingOutput(
        logits=torch.zeros(1, 4, 2, 2), image_logits=torch.zeros(1, 4, 2, 2), aux_logits=torch.zeros(1, 4, 2, 2),
        edge_logits=torch.zeros(1, 2, 2, 2), region_logits=[torch.zeros(1, 2, 2, 2), torch.zeros(1, 4, 2, 2)],
    )
    label = torch.tensor([[[0, 1, 0, 0], [2, 3, 0, 0], [0, 0, 0, 0], [0, 0, 0, 255]]])
    terms = crit(out, label)
    assert set(terms.parts) == {"fused", "image", "aux", "edge", "region_0", "region_1"}
    # uniform scores: each CE is log(#classes); region terms carry lambda_t
    assert terms.parts["fused"] == pytest.approx(torch.log(torch.tensor(4.0)).item())
    assert terms.parts["region_0"] == pytest.approx(4.0 * torch.log(torch.tensor(2.0)).item())
    assert terms.total.item() == pytest.approx(sum(terms.parts.values()), rel=1e-5)

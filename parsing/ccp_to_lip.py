"""CCP's 59 labels converted to the LIP label set, using body keypoints where a table cannot decide.

Most CCP ids map to one LIP id by a table (`CCP_TO_LIP_RULES`; the reasons are in
parsing/CCP_MAPPING.md). Four rules need more than a table:

- `skin` (face, neck, arms, legs, bare midriff in one id) is split by geometry: every skin pixel goes
  to the body part whose keypoint skeleton is nearest, measured as the distance to the part's bone
  segments in units of the part's typical half-width (half-widths are fractions of the torso length
  and taper along a bone), so a thin hand lying over a thick thigh keeps its pixels. Parts: the head
  disk and the neck segment (-> face), each upper arm / forearm / hand (-> left/right arm; with
  BlazePose's 33 landmarks the hand follows its knuckles), each thigh / shin / foot (-> left/right
  leg), and the torso axis. Torso skin near the shoulders (neck, neckline) -> face, as
  LIP annotates the neck; lower torso skin (midriff) has no LIP class and becomes ignore (255).
- shoes (10 CCP shoe kinds) -> left/right shoe by the nearest foot (ankle, heel, toe) or shin (boots).
- stockings and tights (they follow the leg exactly) -> left/right leg by the nearest leg segments.
- small items worn on the body (belt, tie, jewellery, watch, `accessories`) take the label of the
  nearest person pixel around them, so the silhouette has no holes; bags, purses and wallets are
  background, as in LIP.

Left/right are the person's own (LIP convention), taken from the keypoints (BlazePose names them
from the person's point of view). Without keypoints, the pixels needing a split become 255.

Consensus with the mirror image: BlazePose also runs on the mirrored photo, the conversion is redone
from it and mirrored back, and pixels on which the two disagree (left/right unsure: profile views,
crossed legs) become 255.

Run the whole conversion (BlazePose twice per photo, cached) with
`python -m parsing.ccp_to_lip [--data DIR] [--cache DIR] [--overlays DIR]`.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from body_model.keypoints import KEYPOINT_ID
from body_model.lip_labels import LIP_CLASSES, LIP_ID
from parsing.datasets.meta import CCP_CLASSES, IGNORE_INDEX

MAPPING_VERSION = 2  # bump when a rule or a geometry constant changes: cached labels are redone

SKIN = "@skin"          # face / left-right arm / left-right leg / torso, by geometry
SHOE = "@shoe"          # left / right shoe, by geometry
LEG_WEAR = "@leg_wear"  # left / right leg, by geometry
ABSORB = "@absorb"      # the label of the nearest person pixel around it

CCP_TO_LIP_RULES: dict[str, str] = {
    "null": "background",
    "accessories": ABSORB, "belt": ABSORB, "bracelet": ABSORB, "earrings": ABSORB, "necklace": ABSORB,
    "ring": ABSORB, "tie": ABSORB, "watch": ABSORB,
    "bag": "background", "purse": "background", "wallet": "background",
    "blouse": "upper_clothes", "bodysuit": "upper_clothes", "bra": "upper_clothes", "hoodie": "upper_clothes",
    "intimate": "upper_clothes", "jumper": "upper_clothes", "shirt": "upper_clothes", "sweater": "upper_clothes",
    "sweatshirt": "upper_clothes", "swimwear": "upper_clothes", "t-shirt": "upper_clothes", "top": "upper_clothes",
    "blazer": "coat", "cape": "coat", "cardigan": "coat", "coat": "coat", "jacket": "coat", "suit": "coat",
    "vest": "coat",
    "dress": "dress", "romper": "jumpsuits",
    "jeans": "pants", "leggings": "pants", "panties": "pants", "pants": "pants", "shorts": "pants",
    "skirt": "skirt", "scarf": "scarf", "gloves": "glove", "socks": "socks",
    "stockings": LEG_WEAR, "tights": LEG_WEAR,
    "hair": "hair", "hat": "hat", "sunglasses": "sunglasses", "glasses": "sunglasses",
    "skin": SKIN,
    "boots": SHOE, "clogs": SHOE, "flats": SHOE, "heels": SHOE, "loafers": SHOE, "pumps": SHOE,
    "sandals": SHOE, "shoes": SHOE, "sneakers": SHOE, "wedges": SHOE,
}
assert set(CCP_TO_LIP_RULES) == set(CCP_CLASSES), "every CCP id needs a rule"

# Codes for the geometric rules inside the lookup table (above every LIP id, below IGNORE_INDEX).
_CODE = {SKIN: 250, SHOE: 251, LEG_WEAR: 252, ABSORB: 253}
CCP_TO_LIP_LUT = np.full(256, IGNORE_INDEX, dtype=np.uint8)
for _i, _name in enumerate(CCP_CLASSES):
    _rule = CCP_TO_LIP_RULES[_name]
    CCP_TO_LIP_LUT[_i] = _CODE[_rule] if _rule in _CODE else LIP_ID[_rule]

# Geometry, in torso lengths (shoulder midpoint to hip midpoint, ~0.5 m on an adult). Half-widths
# taper from the first to the second joint of a segment (a thigh is wider at the hip than at the knee).
HEAD_RADIUS = 0.24
HALF_WIDTH: dict[str, tuple[float, float]] = {
    "neck": (0.12, 0.12), "upper_arm": (0.10, 0.08), "forearm": (0.08, 0.06), "hand": (0.09, 0.08),
    "thumb": (0.04, 0.04), "thigh": (0.16, 0.11), "shin": (0.11, 0.07), "foot": (0.06, 0.06),
}
HAND_LENGTH = 0.65        # without hand landmarks: hand segment beyond the wrist, in forearm lengths
KNUCKLE_TO_TIP = 1.7      # with BlazePose hand landmarks (knuckles): fingertips lie this far from the wrist
TORSO_PENALTY = 1.0       # limbs in front of the torso (a hand on the belly) win over the torso
NECKLINE_DEPTH = 0.25     # torso skin above this fraction of the shoulder->hip axis counts as face
LOW_MARGIN = 0.25         # a pixel whose two best part scores differ by less than this is "uncertain"
MIN_COMPONENT_VOTE = 0.7  # a shoe / stocking blob mostly on one side goes wholly to that side
TORSO = 255 - 1           # internal class code for torso skin before it is resolved

_K = KEYPOINT_ID
# BlazePose's 33-landmark ids of the hand knuckles; with 33 landmarks the hands are located directly.
_BLAZEPOSE_HAND = {"left": (19, 17, 21), "right": (20, 18, 22)}  # index, pinky, thumb


@dataclass
class ConversionStats:
    """What the geometric split did on one image (pixel counts), for judging the conversion."""

    pose_found: bool
    facing: str = "unknown"        # front / back / side, from the shoulders' left-right order
    face_seen: bool = False        # CCP skin covers a good part of the head disk
    skin_px: int = 0
    skin_low_margin_px: int = 0
    shoe_px: int = 0
    shoe_low_margin_px: int = 0
    leg_wear_px: int = 0
    leg_wear_low_margin_px: int = 0
    torso_skin_face_px: int = 0
    torso_skin_ignored_px: int = 0
    absorbed_px: int = 0
    unsplit_px: int = 0            # needed a split but had no keypoints -> 255
    mirror_disagree_px: int = 0    # photo and mirrored photo gave different parts -> 255

    @property
    def lr_conflict(self) -> bool:
        """Keypoints say the back is seen, yet a face is visible: left/right are probably swapped."""
        return self.facing == "back" and self.face_seen


@dataclass
class Conversion:
    labels: np.ndarray        # (H, W) uint8 LIP ids, 255 = ignore
    stats: ConversionStats


@dataclass
class _Part:
    lip_id: int
    segments: list[tuple[np.ndarray, np.ndarray, float, float]] = field(default_factory=list)  # a, b, hw_a, hw_b


def _seg_dist(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each point to segment ab, and the position t in [0, 1] of the closest point."""
    ab = b - a
    denom = float(ab @ ab)
    t = np.zeros(len(points)) if denom < 1e-9 else np.clip((points - a) @ ab / denom, 0.0, 1.0)
    closest = a + t[:, None] * ab
    return np.linalg.norm(points - closest, axis=1), t


def _part_score(points: np.ndarray, part: _Part) -> np.ndarray:
    """Distance to the part's bones in units of its half-width (< 1 inside it): thin parts win near their axis."""
    best = np.full(len(points), np.inf)
    for a, b, hw_a, hw_b in part.segments:
        d, t = _seg_dist(points, a, b)
        best = np.minimum(best, d / (hw_a + (hw_b - hw_a) * t))
    return best


def skeleton_points(landmarks: np.ndarray) -> dict[str, np.ndarray]:
    """Named 2D points from (21, >=2) keypoints (body_model.keypoints order) or (33, >=2) BlazePose landmarks."""
    from body_model.keypoints import KEYPOINT_NAMES

    arr = np.asarray(landmarks, dtype=np.float64)
    if arr.shape[0] == 33:
        from parsing.pose import BLAZEPOSE_INDEX

        points = {name: arr[BLAZEPOSE_INDEX[name], :2] for name in KEYPOINT_NAMES}
        for side, (index, pinky, thumb) in _BLAZEPOSE_HAND.items():
            points[f"{side}_index"], points[f"{side}_pinky"], points[f"{side}_thumb"] = (
                arr[index, :2], arr[pinky, :2], arr[thumb, :2])
        return points
    if arr.shape[0] != len(KEYPOINT_NAMES):
        raise ValueError(f"keypoints of shape {arr.shape}: expected (21, >=2) or (33, >=2)")
    return {name: arr[i, :2] for i, name in enumerate(KEYPOINT_NAMES)}


def body_scale(points: dict[str, np.ndarray]) -> float:
    """Torso length in pixels (shoulder midpoint to hip midpoint), the unit of every geometric constant."""
    mid_sh = (points["left_shoulder"] + points["right_shoulder"]) / 2
    mid_hip = (points["left_hip"] + points["right_hip"]) / 2
    torso = float(np.linalg.norm(mid_hip - mid_sh))
    if torso > 1.0:
        return torso
    xy = np.stack(list(points.values()))
    return max(float((xy.max(axis=0) - xy.min(axis=0)).max()) / 3.0, 1.0)


def _seg(a: np.ndarray, b: np.ndarray, kind: str, scale: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    hw_a, hw_b = HALF_WIDTH[kind]
    return a, b, hw_a * scale, hw_b * scale


def _limb_parts(p: dict[str, np.ndarray], scale: float) -> dict[str, _Part]:
    """Arm, leg and foot parts per side, with their bone segments."""
    parts: dict[str, _Part] = {}
    for side in ("left", "right"):
        sh, el, wr = p[f"{side}_shoulder"], p[f"{side}_elbow"], p[f"{side}_wrist"]
        arm = [_seg(sh, el, "upper_arm", scale), _seg(el, wr, "forearm", scale)]
        if f"{side}_index" in p:
            knuckles = (p[f"{side}_index"] + p[f"{side}_pinky"]) / 2
            arm += [_seg(wr, wr + KNUCKLE_TO_TIP * (knuckles - wr), "hand", scale),
                    _seg(wr, p[f"{side}_thumb"], "thumb", scale)]
        else:
            arm.append(_seg(wr, wr + HAND_LENGTH * (wr - el), "hand", scale))
        parts[f"{side}_arm"] = _Part(LIP_ID[f"{side}_arm"], arm)
        hip, knee, ankle = p[f"{side}_hip"], p[f"{side}_knee"], p[f"{side}_ankle"]
        heel, toe = p[f"{side}_heel"], p[f"{side}_big_toe"]
        foot = [_seg(ankle, heel, "foot", scale), _seg(ankle, toe, "foot", scale), _seg(heel, toe, "foot", scale)]
        shin = _seg(knee, ankle, "shin", scale)
        parts[f"{side}_leg"] = _Part(LIP_ID[f"{side}_leg"], [_seg(hip, knee, "thigh", scale), shin, *foot])
        parts[f"{side}_foot"] = _Part(LIP_ID[f"{side}_shoe"], [*foot, shin])
    return parts


def _head(p: dict[str, np.ndarray], scale: float) -> tuple[np.ndarray, float]:
    center = np.mean([p[n] for n in ("nose", "left_eye", "right_eye", "left_ear", "right_ear")], axis=0)
    return center, HEAD_RADIUS * scale


def _nearest(points: np.ndarray, parts: Sequence[_Part], extra: Sequence[np.ndarray] = ()) -> tuple[np.ndarray, ...]:
    """Index of the best-scoring part (`_part_score`) and the score margin to the runner-up part."""
    table = np.stack([*(_part_score(points, part) for part in parts), *extra])
    order = np.argsort(table, axis=0)
    margin = np.take_along_axis(table, order[1:2], 0)[0] - np.take_along_axis(table, order[:1], 0)[0]
    return order[0], margin


def _facing(p: dict[str, np.ndarray], scale: float) -> str:
    dx = float(p["left_shoulder"][0] - p["right_shoulder"][0])
    if abs(dx) < 0.15 * scale:
        return "side"
    return "front" if dx > 0 else "back"  # a person facing us has their left shoulder on the image's right


def split_skin(points: np.ndarray, p: dict[str, np.ndarray], scale: float) -> tuple[np.ndarray, ...]:
    """LIP ids (face, arms, legs, or TORSO) for skin pixels at `points` (N, 2 as x, y); margins; torso t."""
    center, radius = _head(p, scale)
    mid_sh = (p["left_shoulder"] + p["right_shoulder"]) / 2
    mid_hip = (p["left_hip"] + p["right_hip"]) / 2
    limbs = _limb_parts(p, scale)
    parts = [limbs[n] for n in ("left_arm", "right_arm", "left_leg", "right_leg")]
    neck = _Part(LIP_ID["face"], [_seg(center, mid_sh, "neck", scale)])
    face = np.minimum(np.linalg.norm(points - center, axis=1) / radius, _part_score(points, neck))
    shoulder_w = float(np.linalg.norm(p["left_shoulder"] - p["right_shoulder"]))
    hip_w = float(np.linalg.norm(p["left_hip"] - p["right_hip"]))
    torso_hw = max(0.25 * (shoulder_w + hip_w), 0.2 * scale)
    torso_d, torso_t = _seg_dist(points, mid_sh, mid_hip)
    torso = torso_d / torso_hw + TORSO_PENALTY
    best, margin = _nearest(points, parts, extra=(face, torso))
    ids = np.array([part.lip_id for part in parts] + [LIP_ID["face"], TORSO], dtype=np.uint8)[best]
    return ids, margin, torso_t


def _vote_components(mask: np.ndarray, labels: np.ndarray, side_ids: tuple[int, int],
                     side_x: tuple[float, float]) -> None:
    """Blob-level clean-up of a left/right split (in place): a blob mostly on one side goes wholly to it.

    When the two largest blobs (two shoes, two stockinged legs) both vote for the same side, the keypoints
    are wrong for one of them: they are then given sides by their horizontal order, as the feet are.
    """
    from scipy import ndimage

    comp, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return
    votes = []
    for k in range(1, n + 1):
        blob = comp == k
        shares = [(labels[blob] == sid).mean() for sid in side_ids]
        xs = np.nonzero(blob)[1]
        votes.append((int(blob.sum()), k, int(np.argmax(shares)), max(shares), float(xs.mean())))
    votes.sort(reverse=True)
    if len(votes) >= 2 and votes[0][2] == votes[1][2] and votes[1][0] > 0.3 * votes[0][0]:
        left_is_right_of_image = side_x[0] > side_x[1]
        pair = sorted(votes[:2], key=lambda v: v[4])  # by centroid x, image-left first
        first_side = 1 if left_is_right_of_image else 0
        votes[:2] = [(pair[0][0], pair[0][1], first_side, 1.0, pair[0][4]),
                     (pair[1][0], pair[1][1], 1 - first_side, 1.0, pair[1][4])]
    for _size, k, side, share, _x in votes:
        if share >= MIN_COMPONENT_VOTE:
            labels[comp == k] = side_ids[side]


def convert_labels(ccp_labels: np.ndarray, landmarks: np.ndarray | None) -> Conversion:
    """CCP ids (H, W) -> LIP ids (H, W), 255 = ignore.

    `landmarks`: (33, >=2) BlazePose landmarks in pixels (best: hands are located by their knuckles),
    or (21, >=2) keypoints in body_model.keypoints order, or None (then split pixels become 255).
    """
    from scipy import ndimage

    coded = CCP_TO_LIP_LUT[ccp_labels]
    out = coded.copy()
    stats = ConversionStats(pose_found=landmarks is not None)
    masks = {rule: coded == code for rule, code in _CODE.items()}
    needs_split = masks[SKIN] | masks[SHOE] | masks[LEG_WEAR]
    if landmarks is None:
        out[needs_split] = IGNORE_INDEX
        stats.unsplit_px = int(needs_split.sum())
    else:
        p = skeleton_points(landmarks)
        scale = body_scale(p)
        stats.facing = _facing(p, scale)
        ys, xs = np.nonzero(masks[SKIN])
        if len(xs):
            points = np.stack([xs, ys], 1).astype(np.float64)
            ids, margin, torso_t = split_skin(points, p, scale)
            torso = ids == TORSO
            neckline = torso & (torso_t < NECKLINE_DEPTH)
            ids[neckline] = LIP_ID["face"]
            ids[torso & ~neckline] = IGNORE_INDEX
            out[ys, xs] = ids
            stats.skin_px = len(xs)
            stats.skin_low_margin_px = int((margin < LOW_MARGIN).sum())
            stats.torso_skin_face_px = int(neckline.sum())
            stats.torso_skin_ignored_px = int((torso & ~neckline).sum())
            center, radius = _head(p, scale)
            in_head = np.linalg.norm(points - center, axis=1) < radius
            stats.face_seen = bool(in_head.sum() > 0.25 * np.pi * radius**2)
        limbs = _limb_parts(p, scale)
        for rule, names, kind in ((SHOE, ("left_foot", "right_foot"), "shoe"),
                                  (LEG_WEAR, ("left_leg", "right_leg"), "leg_wear")):
            ys, xs = np.nonzero(masks[rule])
            if not len(xs):
                continue
            parts = [limbs[n] for n in names]
            best, margin = _nearest(np.stack([xs, ys], 1).astype(np.float64), parts)
            side_ids = (parts[0].lip_id, parts[1].lip_id)
            out[ys, xs] = np.array(side_ids, dtype=np.uint8)[best]
            anchor = "ankle" if rule == SHOE else "knee"
            _vote_components(masks[rule], out, side_ids, (p[f"left_{anchor}"][0], p[f"right_{anchor}"][0]))
            setattr(stats, f"{kind}_px", len(xs))
            setattr(stats, f"{kind}_low_margin_px", int((margin < LOW_MARGIN).sum()))
    absorb = masks[ABSORB]
    if absorb.any():
        person = (out != LIP_ID["background"]) & ~absorb
        if person.any():
            _, (iy, ix) = ndimage.distance_transform_edt(~person, return_indices=True)
            out[absorb] = out[iy[absorb], ix[absorb]]
        else:
            out[absorb] = LIP_ID["background"]
        stats.absorbed_px = int(absorb.sum())
    return Conversion(labels=out, stats=stats)


def mirror_conversion(labels: np.ndarray) -> np.ndarray:
    """A LIP label map mirrored left-right with the left/right classes swapped (the flip augmentation)."""
    from body_model.lip_labels import FLIP_PAIRS

    perm = np.arange(256, dtype=np.uint8)
    for a, b in FLIP_PAIRS:
        perm[a], perm[b] = b, a
    return perm[labels[:, ::-1]]


# ---------------------------------------------------------------- the cached conversion of a whole CCP folder


def default_cache_dir() -> Path:
    """Where converted labels and BlazePose results are kept: `BODYMEASURE_CACHE`/ccp_lip or ~/.cache/..."""
    base = os.environ.get("BODYMEASURE_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "bodymeasure") / "ccp_lip"


@dataclass
class PoseRecord:
    """BlazePose on one CCP photo, as cached: its 33 landmarks (or None: nobody found) and person mask."""

    landmarks: np.ndarray | None  # (33, 4) x, y (px), z, visibility
    mask: np.ndarray | None       # (H, W) uint8, person probability x 255


def pose_path(cache: Path, sample_id: str, flipped: bool = False) -> Path:
    return Path(cache) / ("pose_flip" if flipped else "pose") / f"{sample_id}.npz"


def save_pose(path: Path, record: PoseRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    arrays = {"found": np.array(record.landmarks is not None)}
    if record.landmarks is not None:
        arrays["landmarks"] = record.landmarks.astype(np.float32)
    if record.mask is not None:
        arrays["mask"] = record.mask.astype(np.uint8)
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def load_pose(path: Path) -> PoseRecord:
    with np.load(path) as data:
        found = bool(data["found"])
        return PoseRecord(landmarks=data["landmarks"] if found else None,
                          mask=data["mask"] if "mask" in data.files else None)


def detect_pose(detector, rgb: np.ndarray) -> PoseRecord:
    """BlazePose landmarks and mask of the most prominent person (parsing.pose.PoseDetector)."""
    found = detector.detect(rgb)
    if found is None:
        return PoseRecord(landmarks=None, mask=np.zeros(rgb.shape[:2], np.uint8))
    return PoseRecord(landmarks=found.landmarks, mask=np.round(found.mask * 255).astype(np.uint8))


def labels_dir(cache: Path) -> Path:
    return Path(cache) / f"labels_v{MAPPING_VERSION}"


def label_path(cache: Path, sample_id: str) -> Path:
    return labels_dir(cache) / f"{sample_id}.png"


def load_converted(cache: Path, sample_id: str) -> np.ndarray:
    """Cached LIP labels of one CCP photo (run `python -m parsing.ccp_to_lip` first)."""
    from PIL import Image

    from parsing.ccp import CCPError

    path = label_path(cache, sample_id)
    if not path.exists():
        raise CCPError(f"{path}: no converted labels; run `python -m parsing.ccp_to_lip --cache {cache}`")
    return np.asarray(Image.open(path))


@dataclass
class ConversionReport:
    """Per-image stats of a converted folder, and their totals."""

    stats: dict[str, ConversionStats]
    flip_agreement: dict[str, float] = field(default_factory=dict)  # share of split pixels agreeing

    def totals(self) -> dict[str, float]:
        s = list(self.stats.values())

        def total(name: str) -> int:
            return int(sum(getattr(x, name) for x in s))

        out: dict[str, float] = {"images": len(s), "pose_missing": sum(not x.pose_found for x in s)}
        for facing in ("front", "back", "side"):
            out[f"facing_{facing}"] = sum(x.facing == facing for x in s)
        out["lr_conflicts"] = sum(x.lr_conflict for x in s)
        for kind in ("skin", "shoe", "leg_wear"):
            px = total(f"{kind}_px")
            out[f"{kind}_px"] = px
            out[f"{kind}_low_margin_share"] = total(f"{kind}_low_margin_px") / px if px else 0.0
        skin = max(total("skin_px"), 1)
        out["skin_neckline_to_face_share"] = total("torso_skin_face_px") / skin
        out["skin_midriff_ignored_share"] = total("torso_skin_ignored_px") / skin
        out["absorbed_px"] = total("absorbed_px")
        out["unsplit_px"] = total("unsplit_px")
        out["mirror_disagree_share_of_split"] = total("mirror_disagree_px") / max(
            total("skin_px") + total("shoe_px") + total("leg_wear_px"), 1)
        if self.flip_agreement:
            values = np.array(list(self.flip_agreement.values()))
            out["flip_agreement_mean"] = float(values.mean())
            out["flip_agreement_below_0.9"] = int((values < 0.9).sum())
        return out


def flip_agreement(labels: np.ndarray, labels_from_mirror: np.ndarray, ccp_labels: np.ndarray) -> float:
    """Share of split pixels (skin, shoes, leg wear) labelled alike from the photo and from its mirror."""
    coded = CCP_TO_LIP_LUT[ccp_labels]
    split = (coded == _CODE[SKIN]) | (coded == _CODE[SHOE]) | (coded == _CODE[LEG_WEAR])
    if not split.any():
        return 1.0
    back = mirror_conversion(labels_from_mirror)
    return float((labels[split] == back[split]).mean())


def consensus_conversion(ccp_labels: np.ndarray, landmarks: np.ndarray | None,
                         mirrored_landmarks: np.ndarray | None) -> tuple[Conversion, float]:
    """The conversion, keeping only what the photo and its mirror image agree on (the rest -> 255).

    `mirrored_landmarks` are the pose detector's on the mirrored photo. Where BlazePose is unsure of
    left and right (profile views, crossed legs), the two disagree and those pixels are not trusted.
    Returns the conversion and the share of split pixels on which both agreed.
    """
    conversion = convert_labels(ccp_labels, landmarks)
    from_mirror = convert_labels(np.ascontiguousarray(ccp_labels[:, ::-1]), mirrored_landmarks).labels
    agreement = flip_agreement(conversion.labels, from_mirror, ccp_labels)
    differ = conversion.labels != mirror_conversion(from_mirror)
    conversion.labels[differ] = IGNORE_INDEX
    conversion.stats.mirror_disagree_px = int(differ.sum())
    return conversion, agreement


def convert_folder(
    root: Path,
    cache: Path,
    ids: Sequence[str] | None = None,
    mirror_consensus: bool = True,
    detector_factory: Callable[[], object] | None = None,
    progress: bool = True,
) -> ConversionReport:
    """Convert every labelled photo (or `ids`) into `cache`: BlazePose once per photo, then the rules.

    BlazePose results are cached per photo, so an interrupted run resumes and a changed rule only
    redoes the cheap geometric part. With `mirror_consensus` BlazePose also runs on the mirrored
    photo; pixels the two conversions disagree on become 255 (`consensus_conversion`), and the report
    says how often they agreed on the split pixels (a measure of left/right reliability).
    """
    from PIL import Image

    from parsing.ccp import labelled_ids, read_groundtruth, read_photo

    cache = Path(cache)
    ids = list(ids) if ids is not None else labelled_ids(root)
    detector = None
    report = ConversionReport(stats={})
    out_dir = labels_dir(cache)
    out_dir.mkdir(parents=True, exist_ok=True)

    def pose_for(sample_id: str, flipped: bool) -> PoseRecord:
        nonlocal detector
        path = pose_path(cache, sample_id, flipped)
        if path.exists():
            return load_pose(path)
        if detector is None:
            if detector_factory is not None:
                detector = detector_factory()
            else:
                from parsing.pose import PoseDetector

                detector = PoseDetector()
        rgb = read_photo(root, sample_id)
        record = detect_pose(detector, np.ascontiguousarray(rgb[:, ::-1]) if flipped else rgb)
        save_pose(path, record)
        return record

    iterator = _progress(ids, "converting CCP to LIP") if progress else ids
    for sample_id in iterator:
        ccp = read_groundtruth(root, sample_id)
        landmarks = pose_for(sample_id, False).landmarks
        if mirror_consensus:
            conversion, agreement = consensus_conversion(ccp, landmarks, pose_for(sample_id, True).landmarks)
            report.flip_agreement[sample_id] = agreement
        else:
            conversion = convert_labels(ccp, landmarks)
        Image.fromarray(conversion.labels).save(out_dir / f"{sample_id}.png")
        report.stats[sample_id] = conversion.stats
    _write_manifest(out_dir / "manifest.json", report)
    if detector is not None and hasattr(detector, "close"):
        detector.close()
    return report


def _write_manifest(path: Path, report: ConversionReport) -> None:
    """Per-image stats of every converted photo; entries of earlier runs (other ids) are kept."""
    stats: dict[str, dict] = {}
    flips: dict[str, float] = {}
    if path.exists():
        old = json.loads(path.read_text())
        stats, flips = old.get("stats", {}), old.get("flip_agreement", {})
    stats.update({k: asdict(v) for k, v in report.stats.items()})
    flips.update(report.flip_agreement)
    merged = ConversionReport(stats={k: ConversionStats(**v) for k, v in sorted(stats.items())},
                              flip_agreement=dict(sorted(flips.items())))
    manifest = {
        "mapping_version": MAPPING_VERSION,
        "label_set": "lip",
        "classes": list(LIP_CLASSES),
        "ignore_index": IGNORE_INDEX,
        "totals": merged.totals(),
        "stats": {k: asdict(v) for k, v in merged.stats.items()},
        "flip_agreement": merged.flip_agreement,
    }
    path.write_text(json.dumps(manifest, indent=1) + "\n")


def read_manifest(cache: Path) -> ConversionReport:
    """The stats of every photo converted into `cache` so far."""
    data = json.loads((labels_dir(cache) / "manifest.json").read_text())
    return ConversionReport(stats={k: ConversionStats(**v) for k, v in data["stats"].items()},
                            flip_agreement=data.get("flip_agreement", {}))


class ConvertedCCP:
    """Raw pairs (rgb uint8 HWC, LIP labels uint8 HW) of CCP photos at full size, from the conversion cache.

    For scoring on CCP-val at the photos' own resolution (`parsing.evaluate.evaluate` takes it), e.g.
    `ConvertedCCP(split="val")`; `.meta` is the LIP metadata. Needs `python -m parsing.ccp_to_lip` first.
    """

    def __init__(self, root: Path | None = None, cache: Path | None = None, split: str = "val",
                 ids: Sequence[str] | None = None) -> None:
        from parsing.ccp import ccp_root, load_split
        from parsing.datasets.meta import LIP

        self.root = ccp_root(root)
        self.cache = Path(cache) if cache is not None else default_cache_dir()
        if ids is None:
            chosen = load_split()
            ids = {"train": chosen.train, "val": chosen.val}[split]
        self.ids = list(ids)
        self.meta = LIP

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        from parsing.ccp import read_photo

        labels = load_converted(self.cache, self.ids[i])
        h, w = labels.shape
        return np.ascontiguousarray(read_photo(self.root, self.ids[i])[:h, :w]), labels


def _progress(items: Sequence[str], description: str):
    from rich.progress import track

    return track(items, description=description, transient=False)


def colorize(labels: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 colours of a LIP label map (LIP palette; ignore = white)."""
    from parsing.datasets.meta import LIP

    palette = np.zeros((256, 3), dtype=np.uint8)
    palette[: len(LIP.palette)] = np.array(LIP.palette, dtype=np.uint8)
    palette[IGNORE_INDEX] = 255
    return palette[labels]


def overlay(rgb: np.ndarray, labels: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """Photo with its labels blended on top (background left as is), for looking at results."""
    colours = colorize(labels).astype(np.float32)
    out = rgb.astype(np.float32).copy()
    fg = labels != 0
    out[fg] = (1 - alpha) * out[fg] + alpha * colours[fg]
    return out.astype(np.uint8)


def main(argv: Sequence[str] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    from parsing.ccp import CCPError, ccp_root, check_label_names, read_sample

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="CCP folder (default: the shared data's ccp)")
    parser.add_argument("--cache", default=None, help=f"output folder (default {default_cache_dir()})")
    parser.add_argument("--ids", nargs="*", default=None, help="only these ids (default: all labelled)")
    parser.add_argument("--no-mirror-consensus", action="store_true",
                        help="skip BlazePose on the mirrored photos (keeps pixels whose side is uncertain)")
    parser.add_argument("--overlays", default=None, help="write overlay PNGs of the first --n-overlays ids here")
    parser.add_argument("--n-overlays", type=int, default=8)
    args = parser.parse_args(argv)
    console = Console()
    try:
        root = ccp_root(args.data)
        check_label_names(root)
        cache = Path(args.cache) if args.cache else default_cache_dir()
        report = convert_folder(root, cache, ids=args.ids, mirror_consensus=not args.no_mirror_consensus)
    except CCPError as exc:
        raise SystemExit(f"error: {exc}") from None
    table = Table(title=f"CCP -> LIP conversion ({root}), labels in {labels_dir(cache)}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in report.totals().items():
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    console.print(table)
    if args.overlays:
        from PIL import Image

        out = Path(args.overlays)
        out.mkdir(parents=True, exist_ok=True)
        for sample_id in list(report.stats)[: args.n_overlays]:
            sample = read_sample(root, sample_id)
            lip = load_converted(cache, sample_id)
            Image.fromarray(np.concatenate([sample.rgb, overlay(sample.rgb, lip), colorize(lip)], 1)).save(
                out / f"{sample_id}.png")
        console.print(f"overlays in {out}")


if __name__ == "__main__":
    main()

"""Per-vertex body parts from skinning: each vertex takes the part of the bone that moves it most.

Skinning weights already encode which limb a vertex belongs to, so parts follow the body through
every shape and pose. The scalp (HAIR) is not a bone: it is the part of the head above the
forehead and, behind the ears, above the ear level, found once on a reference rest body.
"""

from __future__ import annotations

import numpy as np

from body_model.keypoints import KEYPOINT_ID
from body_model.parts import Part

# Bone-name prefix -> (part for .L, part for .R) or a single unsided part.
_SIDED: tuple[tuple[str, Part, Part], ...] = (
    ("upperarm", Part.LEFT_UPPER_ARM, Part.RIGHT_UPPER_ARM),
    ("shoulder", Part.LEFT_UPPER_ARM, Part.RIGHT_UPPER_ARM),
    ("lowerarm", Part.LEFT_FOREARM, Part.RIGHT_FOREARM),
    ("wrist", Part.LEFT_HAND, Part.RIGHT_HAND),
    ("finger", Part.LEFT_HAND, Part.RIGHT_HAND),
    ("metacarpal", Part.LEFT_HAND, Part.RIGHT_HAND),
    ("upperleg", Part.LEFT_THIGH, Part.RIGHT_THIGH),
    ("lowerleg", Part.LEFT_CALF, Part.RIGHT_CALF),
    ("foot", Part.LEFT_FOOT, Part.RIGHT_FOOT),
    ("toe", Part.LEFT_FOOT, Part.RIGHT_FOOT),
)
_UNSIDED: tuple[tuple[str, Part], ...] = (
    ("neck", Part.HEAD), ("head", Part.HEAD), ("eye", Part.HEAD), ("jaw", Part.HEAD), ("tongue", Part.HEAD),
    ("root", Part.TORSO), ("pelvis", Part.TORSO), ("spine", Part.TORSO), ("clavicle", Part.TORSO),
    ("breast", Part.TORSO),
)


def part_of_bone(name: str) -> Part:
    """The body part a bone (Anny/MakeHuman naming: 'upperarm01.L', 'spine03') moves."""
    lower = name.lower()
    left = lower.endswith(".l") or lower.endswith("_l") or lower.startswith("left")
    for prefix, left_part, right_part in _SIDED:
        if prefix in lower:
            return left_part if left else right_part
    for prefix, part in _UNSIDED:
        if prefix in lower:
            return part
    raise KeyError(f"no body part for bone {name!r}")


def hair_region(vertices: np.ndarray, head_mask: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(V,) bool: head vertices that a typical haircut covers (top of the head, back above the ears).

    vertices: rest body (z up, facing -y); keypoints: (K, 3) 3D in body_model.keypoints order.
    """
    z_top = float(vertices[head_mask, 2].max())
    eyes = keypoints[[KEYPOINT_ID["left_eye"], KEYPOINT_ID["right_eye"]]].mean(axis=0)
    ears = keypoints[[KEYPOINT_ID["left_ear"], KEYPOINT_ID["right_ear"]]].mean(axis=0)
    z_front = eyes[2] + 0.4 * (z_top - eyes[2])  # hairline on the forehead
    z_back = ears[2] - 0.01  # behind the ears hair comes down to about ear level
    # Blend the hairline from front to back between the eyes' and a bit behind the ears' depth.
    y = vertices[:, 1]
    t = np.clip((y - eyes[1]) / max(ears[1] + 0.03 - eyes[1], 1e-6), 0.0, 1.0)
    hairline = z_front + t * (z_back - z_front)
    return head_mask & (vertices[:, 2] > hairline)


def vertex_parts_from_skinning(vertices: np.ndarray, bone_weights: np.ndarray, bone_names: tuple[str, ...],
                               keypoints: np.ndarray) -> np.ndarray:
    """(V,) uint8 Part ids: dominant bone's part, HAIR on the scalp.

    vertices (V, 3) rest body; bone_weights (V, J) dense skinning weights; keypoints (K, 3) 3D.
    """
    bone_parts = np.array([int(part_of_bone(n)) for n in bone_names], dtype=np.uint8)
    # Sum weights per part first: a vertex between two finger bones is still 'hand'.
    part_weights = np.zeros((bone_weights.shape[0], len(Part)), dtype=np.float64)
    np.add.at(part_weights.T, bone_parts, bone_weights.T)
    parts = part_weights.argmax(axis=1).astype(np.uint8)
    head = parts == Part.HEAD
    parts[hair_region(vertices, head, keypoints)] = Part.HAIR
    return parts


def face_labels(faces: np.ndarray, vertex_labels: np.ndarray) -> np.ndarray:
    """(F,) label per triangle: the majority of its three vertices' labels (the first vertex on a tie)."""
    a, b, c = (vertex_labels[faces[:, i]] for i in range(3))
    return np.where(b == c, b, a)

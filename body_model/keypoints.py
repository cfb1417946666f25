"""The named 2D/3D keypoint set used between the pose detector, the renderer and the fitting.

It is COCO-17 plus heels and big toes: what BlazePose (mediapipe) and Anny's COCO regressor both
provide. Arrays of keypoints are (K, 3) = x, y, confidence in this order; a keypoint that is not
seen has confidence 0.
"""

from __future__ import annotations

KEYPOINT_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_big_toe", "right_big_toe",
)
KEYPOINT_ID = {name: i for i, name in enumerate(KEYPOINT_NAMES)}
NUM_KEYPOINTS = len(KEYPOINT_NAMES)

# Mirror flip (and the front->back view change) swaps these.
KEYPOINT_FLIP_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (KEYPOINT_ID[n], KEYPOINT_ID[n.replace("left_", "right_")]) for n in KEYPOINT_NAMES if n.startswith("left_")
)

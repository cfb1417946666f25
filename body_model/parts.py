"""Body parts per vertex, in parsing terms, so a rendered body can be compared with a label map.

Left/right are the person's own. `PART_TO_LIP` says which LIP label a bare (unclothed) part shows as;
the synthetic renderer overrides torso/limb labels with garments.
"""

from __future__ import annotations

from enum import IntEnum

from body_model.lip_labels import LIP_ID


class Part(IntEnum):
    BACKGROUND = 0
    HEAD = 1          # face, ears, neck skin
    HAIR = 2          # the scalp region that hair covers
    TORSO = 3
    LEFT_UPPER_ARM = 4
    RIGHT_UPPER_ARM = 5
    LEFT_FOREARM = 6
    RIGHT_FOREARM = 7
    LEFT_HAND = 8
    RIGHT_HAND = 9
    LEFT_THIGH = 10
    RIGHT_THIGH = 11
    LEFT_CALF = 12
    RIGHT_CALF = 13
    LEFT_FOOT = 14
    RIGHT_FOOT = 15


PART_TO_LIP: dict[Part, int] = {
    Part.BACKGROUND: LIP_ID["background"],
    Part.HEAD: LIP_ID["face"],
    Part.HAIR: LIP_ID["hair"],
    Part.TORSO: LIP_ID["upper_clothes"],
    Part.LEFT_UPPER_ARM: LIP_ID["left_arm"],
    Part.RIGHT_UPPER_ARM: LIP_ID["right_arm"],
    Part.LEFT_FOREARM: LIP_ID["left_arm"],
    Part.RIGHT_FOREARM: LIP_ID["right_arm"],
    Part.LEFT_HAND: LIP_ID["left_arm"],
    Part.RIGHT_HAND: LIP_ID["right_arm"],
    Part.LEFT_THIGH: LIP_ID["left_leg"],
    Part.RIGHT_THIGH: LIP_ID["right_leg"],
    Part.LEFT_CALF: LIP_ID["left_leg"],
    Part.RIGHT_CALF: LIP_ID["right_leg"],
    Part.LEFT_FOOT: LIP_ID["left_shoe"],
    Part.RIGHT_FOOT: LIP_ID["right_shoe"],
}

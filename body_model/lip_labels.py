"""The LIP label set (20 classes): the one vocabulary shared by the parser, renderer and fitting.

It lives here, in the lowest layer, because the synthetic renderer writes LIP label maps and the
fitting reads them; `parsing.datasets` builds the LIP/CIHP metadata from these constants.
Left/right are the person's own left and right (a mirror flip swaps them: FLIP_PAIRS).
"""

from __future__ import annotations

LIP_CLASSES: tuple[str, ...] = (
    "background", "hat", "hair", "glove", "sunglasses", "upper_clothes", "dress", "coat", "socks",
    "pants", "jumpsuits", "scarf", "skirt", "face", "left_arm", "right_arm", "left_leg", "right_leg",
    "left_shoe", "right_shoe",
)
LIP_ID = {name: i for i, name in enumerate(LIP_CLASSES)}
FLIP_PAIRS: tuple[tuple[int, int], ...] = ((14, 15), (16, 17), (18, 19))

# Pixels whose label is skin bound the body tightly; clothing only bounds it from outside.
SKIN_IDS: frozenset[int] = frozenset({13, 14, 15, 16, 17})
CLOTHING_IDS: frozenset[int] = frozenset({3, 5, 6, 7, 8, 9, 10, 11, 12})
NOT_BODY_IDS: frozenset[int] = frozenset({1, 2, 4, 18, 19})  # hat, hair, sunglasses, shoes

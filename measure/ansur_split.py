"""Which ANSUR II subjects the learned models may train on, and which only the benchmarks evaluate.

A fixed fold by subject id (a hash, so it needs no file and never changes with the sample size):
one subject in five per sex is an evaluation subject. Models learned from ANSUR II body twins
(measure.profile_girths) train on the others only, and the end-to-end accuracy benchmark samples
only evaluation subjects, so no one is measured by a model that has seen their body.
"""

from __future__ import annotations

import hashlib

EVALUATION_SHARE = 5  # one in this many subjects is held out for evaluation


def is_evaluation_subject(sex: str, subject_id: str) -> bool:
    """True for the held-out fold (about 20% of each sex)."""
    digest = hashlib.sha1(f"{sex}:{str(subject_id).strip()}".encode()).hexdigest()
    return int(digest[:8], 16) % EVALUATION_SHARE == 0


__all__ = ["EVALUATION_SHARE", "is_evaluation_subject"]

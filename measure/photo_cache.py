"""Remembered photo analyses: the pose, person mask and parser labels of a photo already seen.

Analysing a photo (BlazePose twice, the parser, GrabCut) is about a third of the time a person takes.
Measuring the same photos again needs none of it: a corrected height or weight, a side photo added,
another size chart, a batch re-run, or the accuracy benchmark's three input conditions. An entry is
keyed by the photo's pixels at working size (SHA-1) and by everything else that shapes the analysis
(`settings`: parser weights, outline policy, working size, CACHE_VERSION), so a changed photo or
setting is analysed afresh. Memory keeps the last few entries; a folder, when given, keeps them
across runs and processes (one compressed .npz each, written atomically: workers may share it).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from parsing.pose import PoseDetection

CACHE_VERSION = 1  # bump when the analysis itself changes (pose checks, mask refinement, parser use)
MEMORY_ITEMS = 8   # ~10 MB each at the default working size


@dataclass
class PhotoAnalysis:
    """What the pipeline learnt from one photo before the fit (its own results; the checks run again)."""

    detection: PoseDetection
    other_person: bool | None         # a second person found (None: not looked for)
    labels: np.ndarray | None         # (H, W) LIP ids on the person mask; None: no parser labels used
    mask: np.ndarray                  # (H, W) bool person mask the fit uses
    outline_agreement: float | None   # IoU of the pose detector's and the parser's person
    parser_disagrees: bool            # the parser ran but its outline was rejected


def photo_key(rgb: np.ndarray, settings: str) -> str:
    """Cache key of a working-size photo under `settings` (hex SHA-1)."""
    digest = hashlib.sha1(f"{CACHE_VERSION}|{settings}|{rgb.shape}|".encode())
    digest.update(np.ascontiguousarray(rgb).data)
    return digest.hexdigest()


class PhotoCache:
    """Last `memory_items` analyses in memory, and all of them in `folder` when one is given."""

    def __init__(self, folder: str | Path | None = None, memory_items: int = MEMORY_ITEMS) -> None:
        self.folder = None if folder is None else Path(folder)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.memory_items = max(0, int(memory_items))
        self._memory: OrderedDict[str, PhotoAnalysis] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> PhotoAnalysis | None:
        with self._lock:
            found = self._memory.get(key)
            if found is not None:
                self._memory.move_to_end(key)
                found = _copy(found)  # callers own what they get (results hand these arrays to users)
        if found is None and self.folder is not None:
            found = _read(self.folder / f"{key}.npz")
            if found is not None:
                self._remember(key, found)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: str, analysis: PhotoAnalysis) -> None:
        self._remember(key, _copy(analysis))
        if self.folder is not None:
            _write(self.folder / f"{key}.npz", analysis)

    def _remember(self, key: str, analysis: PhotoAnalysis) -> None:
        if self.memory_items == 0:
            return
        with self._lock:
            self._memory[key] = analysis
            self._memory.move_to_end(key)
            while len(self._memory) > self.memory_items:
                self._memory.popitem(last=False)


def _copy(a: PhotoAnalysis) -> PhotoAnalysis:
    d = a.detection
    return PhotoAnalysis(PoseDetection(d.keypoints.copy(), d.landmarks.copy(), d.mask.copy(), d.image_size),
                         a.other_person, None if a.labels is None else a.labels.copy(), a.mask.copy(),
                         a.outline_agreement, a.parser_disagrees)


def _write(path: Path, a: PhotoAnalysis) -> None:
    d = a.detection
    arrays = {"keypoints": d.keypoints, "landmarks": d.landmarks, "pose_mask": d.mask,
              "image_size": np.array(d.image_size), "mask": a.mask,
              "other_person": np.array(-1 if a.other_person is None else int(a.other_person)),
              "outline_agreement": np.array(np.nan if a.outline_agreement is None else a.outline_agreement),
              "parser_disagrees": np.array(a.parser_disagrees)}
    if a.labels is not None:
        arrays["labels"] = a.labels
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)  # atomic: a reader sees the whole file or none
    except OSError:
        Path(tmp).unlink(missing_ok=True)  # a full disk costs the cache entry, not the measurement


def _read(path: Path) -> PhotoAnalysis | None:
    """The entry at `path`, or None when there is none (or it cannot be read: it is then made again)."""
    try:
        with np.load(path) as z:
            other = int(z["other_person"])
            agreement = float(z["outline_agreement"])
            return PhotoAnalysis(
                detection=PoseDetection(z["keypoints"], z["landmarks"], z["pose_mask"],
                                        tuple(int(v) for v in z["image_size"])),
                other_person=None if other < 0 else bool(other),
                labels=z["labels"] if "labels" in z.files else None, mask=z["mask"],
                outline_agreement=None if np.isnan(agreement) else agreement,
                parser_disagrees=bool(z["parser_disagrees"]))
    except (OSError, KeyError, ValueError, EOFError):
        return None

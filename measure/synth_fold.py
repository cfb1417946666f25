"""Rendered body twins of one ANSUR II fold, made once and reused while the settings stay the same.

The end-to-end benchmark renders evaluation-fold subjects (measure.ansur_split) to measure the
pipeline; the photo girth builder (measure.build_photo_girths) renders training-fold subjects to learn
from what the pipeline reads off such photos. Both go through `render_fold`, so the two sets are made
the same way and can never share a person.
"""

from __future__ import annotations

import json
from pathlib import Path

FOLDS = ("evaluation", "training")
ANSUR_FILES = ("ANSUR_II_MALE_Public.csv", "ANSUR_II_FEMALE_Public.csv")
RENDER_VERSION = 6  # bump when the renders of the same settings would change


def fold_subjects(data_dir: Path, fold: str) -> list:
    """The ANSUR II subjects (measure.synth.AnsurSubject) of `fold`, both sexes."""
    from measure.ansur_split import is_evaluation_subject
    from measure.synth import SynthError, read_ansur_csv

    if fold not in FOLDS:
        raise SynthError(f"fold must be one of {', '.join(FOLDS)}, got {fold!r}")
    return [s for f in ANSUR_FILES for s in read_ansur_csv(data_dir / f)
            if is_evaluation_subject(s.sex, s.subject_id) == (fold == "evaluation")]


def render_fold(subjects_dir: Path, fold: str, n: int, seed: int, sexes: list[str], views: tuple[str, ...],
                size: tuple[int, int], clothes: str, n_train: int, workers: int = 1, data_dir: Path | None = None):
    """(subjects_dir, SynthSummary or None when the renders of an earlier run with these settings are reused);
    data_dir: the ansur2 folder (default: MEASURE_DATA's)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from body_model.data_paths import require_data_dir
    from measure.synth import write_synth
    from measure.twins import TwinMaker

    settings = {"n": n, "seed": seed, "sexes": sexes, "views": list(views), "size": list(size), "clothes": clothes,
                "n_train": n_train, "version": RENDER_VERSION}
    if fold != "evaluation":
        settings["fold"] = fold
    stamp = subjects_dir / "settings.json"
    if stamp.is_file() and (subjects_dir / "truth.csv").is_file():
        known = json.loads(stamp.read_text())
        # Renders with more views serve a run that needs fewer (the views are drawn in a fixed order).
        if {**known, "views": settings["views"]} == settings and set(views) <= set(known.get("views", ())):
            print(f"reusing renders in {subjects_dir}")
            return subjects_dir, None
    subjects = fold_subjects(data_dir or require_data_dir("ansur2"), fold)
    tasks: dict[str, int] = {}
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as progress:
        def on_progress(label: str, done: int, total: int) -> None:
            if label.endswith("surrogate"):
                progress.console.print(f"{label}: loading or training ({n_train} random bodies)")
                return
            if label not in tasks:
                tasks[label] = progress.add_task(f"{label}: twins + renders", total=total)
            progress.update(tasks[label], completed=done)

        summary = write_synth(subjects, subjects_dir, n=n, seed=seed, sexes=sexes, views=views, image_size=size,
                              clothes=clothes, twin_maker=TwinMaker(n_train=n_train), workers=workers,
                              progress=on_progress)
    stamp.write_text(json.dumps(settings))
    return subjects_dir, summary


__all__ = ["FOLDS", "fold_subjects", "render_fold"]

"""Synthetic subjects: ANSUR CSV reading, seeded sampling, EXIF focal, and the files `measure synth` writes."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from typer.testing import CliRunner

from measure.synth import (
    AnsurSubject,
    SynthError,
    jpeg_bytes,
    read_ansur_csv,
    read_truth,
    sample_order,
    write_synth,
)
from measure.twins import FREE_PHENOTYPES, TARGET_COLUMNS, TWIN_LOCALS, Surrogate, _features, make_twin

COLUMNS = ["subjectid", "stature", "weightkg", "chestcircumference", "Gender"]


def _write_csv(path, rows, header=COLUMNS):
    with open(path, "w", newline="", encoding="latin-1") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_reads_ansur_units_and_sex(tmp_path):
    path = _write_csv(tmp_path / "a.csv", [["10037", "1776", "815", "1074", "Male"],
                                           ["29501", "1602", "600", "930", "Female"]])
    subjects = read_ansur_csv(path)
    assert [s.sex for s in subjects] == ["male", "female"]
    assert subjects[0].subject_id == "10037"
    assert subjects[0].values["stature"] == pytest.approx(177.6)
    assert subjects[0].values["weightkg"] == pytest.approx(81.5)
    assert subjects[1].values["chestcircumference"] == pytest.approx(93.0)


def test_bad_csvs_are_one_line_errors(tmp_path):
    with pytest.raises(SynthError, match="not found"):
        read_ansur_csv(tmp_path / "missing.csv")
    with pytest.raises(SynthError, match="not an ANSUR II table"):
        read_ansur_csv(_write_csv(tmp_path / "b.csv", [["1", "2"]], header=["name", "age"]))
    with pytest.raises(SynthError, match="no Gender column"):
        read_ansur_csv(_write_csv(tmp_path / "c.csv", [["1", "1700"]], header=["subjectid", "stature"]))
    with pytest.raises(SynthError, match="unreadable"):
        read_ansur_csv(_write_csv(tmp_path / "d.csv", [["1", "tall", "800", "1000", "Male"]]))


def test_sample_is_seeded_and_per_sex():
    subjects = [AnsurSubject(str(i), "male" if i % 3 else "female", {}) for i in range(30)]
    a, b = sample_order(subjects, "male", 4), sample_order(subjects, "male", 4)
    assert a == b and sorted(a) == [i for i in range(30) if i % 3]
    assert sample_order(subjects, "male", 5) != a
    assert all(subjects[i].sex == "female" for i in sample_order(subjects, "female", 4))


def test_jpeg_carries_the_focal_length():
    from parsing.image_io import load_image

    rgb = np.full((64, 48, 3), 120, np.uint8)
    loaded = load_image(jpeg_bytes(rgb, 27))
    assert loaded.focal_35mm == pytest.approx(27.0)


class _FlatTwins:
    """A TwinMaker stand-in: the real body model, a surrogate that knows nothing (no minutes of training)."""

    def __init__(self):
        from body_model.model import load_body_model

        self.model = load_body_model()
        n_feat = _features(np.zeros((1, len(FREE_PHENOTYPES) + len(TWIN_LOCALS))), 170.0).shape[1]
        self.sur = {s: Surrogate(s, np.zeros((n_feat, len(TARGET_COLUMNS))), np.zeros(len(TARGET_COLUMNS)), 0)
                    for s in ("male", "female")}

    def surrogate(self, sex):
        return self.sur[sex]

    def make(self, values, sex, subject_id="", density=1030.0):
        return make_twin(self.model, self.sur[sex], values, sex, subject_id, density, refinements=0)


@pytest.mark.slow
def test_write_synth_makes_a_batch_manifest_truth_and_photos(tmp_path):
    from measure.ansur_tape import TAPE_PAIRS
    from measure.batch import read_manifest
    from parsing.image_io import load_image

    values = {c: 40.0 for c in TARGET_COLUMNS} | {p.ansur: 50.0 for p in TAPE_PAIRS}
    values |= {"stature": 172.0, "weightkg": 70.0}
    subjects = [AnsurSubject("111", "male", dict(values)), AnsurSubject("222", "female", dict(values)),
                AnsurSubject("333", "male", dict(values))]
    summary = write_synth(subjects, tmp_path, n=1, seed=3, sexes=["male"], views=("front", "back"),
                          image_size=(320, 240), twin_maker=_FlatTwins())
    assert len(summary.subjects) == 1 and summary.subjects[0].sex == "male"
    rows = read_manifest(summary.manifest)
    assert len(rows) == 1 and rows[0].height_cm == "172.0" and rows[0].weight_kg == "70.0" and rows[0].side == ""
    photo = load_image(rows[0].front)
    assert photo.rgb.shape == (320, 240, 3)
    assert photo.focal_35mm == summary.subjects[0].f35_mm
    truth = read_truth(summary.truth)
    row = truth[rows[0].id]
    assert row["tape_chest"] == "50.0" and float(row["twin_chest"]) > 60.0 and row["subject_id"] in ("111", "333")
    assert (tmp_path / "twins.jsonl").read_text().count("\n") == 1


def test_cli_synth_reports_bad_input_in_one_line(tmp_path):
    from cli.main import app

    result = CliRunner().invoke(app, ["synth", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "none.csv: file not found" in result.output
    assert "Traceback" not in result.output
    bad = CliRunner().invoke(app, ["synth", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o"),
                                   "--views", "front,top"])
    assert bad.exit_code == 2 and "views" in bad.output


def test_tight_look_is_skin_tight_top_and_bottoms():
    from body_model.looks import random_look
    from measure.synth import TIGHT_SLACK_M, tight_look

    rng = np.random.default_rng(3)
    for _ in range(20):
        look = tight_look(random_look(rng, float(rng.random())), rng)
        assert look.upper.kind in ("tshirt", "longsleeve") and look.lower.kind in ("pants", "shorts")
        for g in (look.upper, look.lower):
            assert TIGHT_SLACK_M[0] <= g.slack_m <= TIGHT_SLACK_M[1]


def test_tight_looks_leave_the_torso_bare_at_the_share_asked_and_draw_nothing_more_otherwise():
    from body_model.looks import random_look
    from measure.synth import tight_look

    looks = [random_look(np.random.default_rng(i), 0.0) for i in range(200)]
    bare = [tight_look(look, np.random.default_rng(i), bare_torso_share=0.35).upper is None
            for i, look in enumerate(looks)]
    assert 0.25 < np.mean(bare) < 0.45
    assert all(tight_look(look, np.random.default_rng(i)).upper is not None for i, look in enumerate(looks))
    # Without the share it draws the two garments' slacks and nothing more: the keypoint calibration's
    # renders, drawn from the same generator after it, stay as they were.
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    tight_look(looks[0], rng_a)
    rng_b.uniform(size=2)
    assert rng_a.random() == rng_b.random()


def test_folds_split_the_subjects_and_an_unknown_fold_is_refused(tmp_path):
    from measure.ansur_split import is_evaluation_subject
    from measure.synth_fold import fold_subjects

    for sex in ("MALE", "FEMALE"):
        _write_csv(tmp_path / f"ANSUR_II_{sex}_Public.csv",
                   [[str(10000 + i), "1750", "800", "1000", sex.title()] for i in range(40)])
    evaluation, training = fold_subjects(tmp_path, "evaluation"), fold_subjects(tmp_path, "training")
    assert len(evaluation) + len(training) == 80 and evaluation and training
    assert all(is_evaluation_subject(s.sex, s.subject_id) for s in evaluation)
    assert not any(is_evaluation_subject(s.sex, s.subject_id) for s in training)
    with pytest.raises(SynthError, match="fold"):
        fold_subjects(tmp_path, "test")


def test_renders_with_more_views_are_reused_for_fewer(tmp_path, monkeypatch):
    import json

    from measure import synth_fold

    subjects = tmp_path / "subjects"
    subjects.mkdir()
    (subjects / "truth.csv").write_text("id\n")
    settings = {"n": 3, "seed": 0, "sexes": ["male"], "views": ["front", "back", "side"], "size": [64, 48],
                "clothes": "tight", "n_train": 10, "version": synth_fold.RENDER_VERSION}
    (subjects / "settings.json").write_text(json.dumps(settings))
    args = (subjects, "evaluation", 3, 0, ["male"])
    rest = ((64, 48), "tight", 10)
    assert synth_fold.render_fold(*args, ("front", "back"), *rest) == (subjects, None)
    assert synth_fold.render_fold(*args, ("front", "back", "side"), *rest) == (subjects, None)
    # other settings render afresh (here: no data to render from, so it says where the data should be)
    monkeypatch.setenv("MEASURE_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="MEASURE_DATA"):
        synth_fold.render_fold(subjects, "evaluation", 4, 0, ["male"], ("front", "back"), *rest)


def test_synth_workers_run_one_thread_per_library(monkeypatch):
    """The workers fill the cores already: OpenCV's threads on top of them doubled the render time."""
    import cv2
    import torch

    import measure.synth as synth

    before = torch.get_num_threads(), cv2.getNumThreads()
    monkeypatch.setattr("measure.twins.TwinMaker.__init__", lambda self, **kw: None)  # no body model needed
    try:
        torch.set_num_threads(2)
        cv2.setNumThreads(2)
        synth._init_worker({})
        assert torch.get_num_threads() == 1 and cv2.getNumThreads() == 1
    finally:
        torch.set_num_threads(before[0])
        cv2.setNumThreads(before[1])

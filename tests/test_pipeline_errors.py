"""Every bad input through the real pipeline: the CLI's exit code and one-line message, and the
Python exception type. Photo-content checks run before the body fit, so these stay fast."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_image_io_inputs import png_header_only
from typer.testing import CliRunner

from cli.main import app
from measure import errors

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
runner = CliRunner()


def _rgb(name: str) -> np.ndarray:
    """The shipped sample at half size: same content, faster checks."""
    img = Image.open(SAMPLES / name).convert("RGB")
    return np.asarray(img.resize((img.width // 2, img.height // 2)))


def _save(path: Path, rgb: np.ndarray) -> Path:
    Image.fromarray(np.ascontiguousarray(rgb)).save(path, quality=92)
    return path


def _make_inputs(folder: Path) -> dict[str, Path]:
    front, back = _rgb("front.jpg"), _rgb("back.jpg")
    h, w = front.shape[:2]
    small = np.asarray(Image.fromarray(front).resize((w // 3, h // 3)))
    canvas = np.pad(small, ((0, h - small.shape[0]), ((w - small.shape[1]) // 2, (w - small.shape[1] + 1) // 2),
                            (0, 0)), mode="edge")
    files = {
        "front": _save(folder / "front.jpg", front),
        "back": _save(folder / "back.jpg", back),
        "missing": folder / "missing.jpg",
        "empty": folder / "empty.jpg",
        "text": folder / "notes.jpg",
        "corrupt": folder / "corrupt.jpg",
        "nobody": _save(folder / "wall.jpg", np.full((800, 600, 3), (200, 195, 190), np.uint8)),
        "two": _save(folder / "two.jpg", np.concatenate([front, front], axis=1)),
        "head_cut": _save(folder / "head_cut.jpg", front[int(0.09 * h):]),
        "feet_cut": _save(folder / "feet_cut.jpg", front[: int(0.78 * h)]),
        "tiny": _save(folder / "tiny.jpg", canvas),
    }
    files["huge"] = folder / "huge.png"
    files["huge"].write_bytes(png_header_only(20000, 20000))
    files["arms"] = _save(folder / "arms_down.jpg", _render_arms_down())
    files["empty"].write_bytes(b"")
    files["text"].write_text("not a photo\n" * 10)
    buf = io.BytesIO()
    Image.fromarray(front).save(buf, "JPEG")
    files["corrupt"].write_bytes(buf.getvalue()[:2000])
    return files


def _render_arms_down() -> np.ndarray:
    """A synthetic front photo of a person holding the arms against the body (~3 degrees out)."""
    import torch

    from body_model.model import BodyPose, load_body_model
    from body_model.render import render_person
    from measure.make_samples import sample_look

    model = load_body_model()
    rot = torch.zeros(1, len(model.pose_joint_names), 3)
    rot[0, model.pose_joint_names.index("left_shoulder"), 1] = 0.75
    rot[0, model.pose_joint_names.index("right_shoulder"), 1] = -0.75
    pose = BodyPose(rot, torch.zeros(1, 3), torch.zeros(1, 3))
    shape = model.with_stature(model.default_shape(), 176.0)
    return render_person(model, shape, pose=pose, view="front", image_size=(640, 480), look=sample_look(), rng=1).rgb


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    return _make_inputs(tmp_path_factory.mktemp("inputs"))


# (front, back, extra CLI args, exception type, exit code, words in the message)
CASES = {
    "missing file": ("missing", "back", [], errors.InputFileError, 4, "missing.jpg: file not found"),
    "empty file": ("front", "empty", [], errors.InputFileError, 4, "empty.jpg: empty file"),
    "not an image": ("text", "back", [], errors.InputFileError, 4, "notes.jpg: not an image"),
    "corrupt image": ("corrupt", "back", [], errors.InputFileError, 4, "corrupt.jpg: corrupt"),
    "image too large": ("huge", "back", [], errors.ImageTooLargeError, 5, "huge.png: image has too many pixels"),
    "no person": ("nobody", "back", [], errors.NoPersonError, 6, "wall.jpg: no person found"),
    "two people": ("two", "back", [], errors.MultiplePeopleError, 7, "two.jpg: more than one person"),
    "head cut off": ("head_cut", "back", [], errors.PersonCutOffError, 8, "head_cut.jpg: person cut off: the head"),
    "feet cut off": ("front", "feet_cut", [], errors.PersonCutOffError, 8, "feet_cut.jpg: person cut off: the feet"),
    "too small": ("tiny", "back", [], errors.PersonTooSmallError, 9, "tiny.jpg: person too small"),
    "swapped": ("back", "front", [], errors.WrongViewError, 10, "swapped"),
    "both fronts": ("front", "front", [], errors.WrongViewError, 10, "both photos show the front"),
    "both backs": ("back", "back", [], errors.WrongViewError, 10, "both photos show the back"),
    "arms against the body": ("arms", "back", [], errors.PoseError, 11, "arms_down.jpg: arms not away from the body"),
    "height absurd": ("front", "back", ["--height", "20"], errors.OutOfRangeError, 12, "height: 20 cm is outside"),
    "weight absurd": ("front", "back", ["--weight", "700"], errors.OutOfRangeError, 12, "weight: 700 kg"),
    "unknown chart": ("front", "back", ["--chart", "nosuchchart"], errors.ChartError, 13, "nosuchchart: no such"),
    "unknown clothes": ("front", "back", ["--clothes", "pyjamas"], errors.OutOfRangeError, 12,
                        "clothes: 'pyjamas' is not one of tight, fitted, everyday"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_cli_exit_code_and_message(inputs, case):
    front, back, extra, _, code, words = CASES[case]
    args = [str(inputs[front]), str(inputs[back]), "--height", "176", *extra]
    if "--height" in extra:
        args = [str(inputs[front]), str(inputs[back]), *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1 and words in lines[0], result.output
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def measurer():
    from measure import Measurer

    return Measurer()


@pytest.mark.parametrize("case", [c for c in CASES if "--height" not in CASES[c][2] and "--chart" not in CASES[c][2]])
def test_python_exception_types(inputs, measurer, case):
    front, back, extra, exc_type, code, words = CASES[case]
    weight = float(extra[1]) if extra[:1] == ["--weight"] else None
    clothes = extra[1] if extra[:1] == ["--clothes"] else None
    with pytest.raises(exc_type, match=words.split(": ", 1)[-1][:20]) as info:
        measurer.measure(inputs[front], inputs[back], 176.0, weight_kg=weight, clothes=clothes)
    assert info.value.exit_code == code and isinstance(info.value, errors.MeasureError)


def test_python_value_errors(measurer):
    with pytest.raises(errors.OutOfRangeError, match="height"):
        measurer.measure(SAMPLES / "front.jpg", SAMPLES / "back.jpg", 20.0)
    with pytest.raises(errors.OutOfRangeError, match="sex"):
        measurer.measure(SAMPLES / "front.jpg", SAMPLES / "back.jpg", 176.0, sex="robot")
    with pytest.raises(errors.ChartError, match="nosuchchart"):
        type(measurer)(chart="nosuchchart")
    with pytest.raises(errors.ChartError, match="garment"):
        type(measurer)(garments=["spacesuits"])
    with pytest.raises(errors.OutOfRangeError, match="clothes"):
        type(measurer)(clothes="pyjamas")


def test_bytes_and_arrays_are_accepted_up_to_the_checks(measurer):
    # Arrays and bytes go through the same reading and checks (here: both photos show the front).
    front_bytes = (SAMPLES / "front.jpg").read_bytes()
    with pytest.raises(errors.WrongViewError):
        measurer.measure(front_bytes, _rgb("front.jpg"), 176.0)


def test_cli_batch_bad_manifest(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("id,front\n1,a.jpg\n")
    result = runner.invoke(app, ["batch", str(manifest), "--out", str(tmp_path / "r")])
    assert result.exit_code == 14
    assert "error: " in result.output and "m.csv: missing column(s) back, height_cm" in result.output


class _Captured(Exception):
    pass


def test_exif_focal_length_reaches_the_fit(tmp_path, measurer, monkeypatch):
    import body_model.fit
    from measure.make_samples import jpeg_with_focal

    front = tmp_path / "front50.jpg"
    front.write_bytes(jpeg_with_focal(_rgb("front.jpg"), 50.0))
    seen = {}

    def fake_fit(views, height_cm, **kwargs):
        seen["views"] = views
        raise _Captured

    monkeypatch.setattr(body_model.fit, "fit", fake_fit)
    with pytest.raises(_Captured):
        measurer.measure(front, _save(tmp_path / "back.jpg", _rgb("back.jpg")), 176.0, sex="male")
    front_view, back_view = seen["views"]
    h, w = front_view.mask.shape
    assert front_view.kind == "front" and back_view.kind == "back"
    assert front_view.focal_px == pytest.approx(50.0 * np.hypot(w, h) / 43.27, rel=1e-6)
    assert back_view.focal_px == pytest.approx(26.0 * np.hypot(w, h) / 43.27, rel=1e-6)  # no EXIF: phone default
    assert front_view.part_labels is None or front_view.part_labels.shape == (h, w)  # labels once weights ship
    assert front_view.mask.sum() > 0.05 * h * w


class _SilhouetteParser:
    """A stand-in parser: labels the GrabCut person as upper clothes, its head as face (LIP ids)."""

    classes = tuple(range(20))

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        from parsing.pose import PoseDetector, refine_person_mask

        det = PoseDetector(max_side=640).detect(rgb)
        mask, _ = refine_person_mask(rgb, det.mask)
        labels = np.where(mask, 5, 0).astype(np.uint8)
        top = int(det.keypoints[:5, 1].min())
        labels[: top + 10][mask[: top + 10]] = 13
        return labels


def test_parser_labels_reach_the_fit(tmp_path, monkeypatch):
    import body_model.fit
    from measure import Measurer

    seen = {}

    def fake_fit(views, height_cm, **kwargs):
        seen["views"] = views
        raise _Captured

    monkeypatch.setattr(body_model.fit, "fit", fake_fit)
    measurer = Measurer(parser=_SilhouetteParser())
    with pytest.raises(_Captured):
        measurer.measure(_save(tmp_path / "f.jpg", _rgb("front.jpg")), _save(tmp_path / "b.jpg", _rgb("back.jpg")),
                         176.0, sex="male")
    front_view = seen["views"][0]
    assert front_view.part_labels is not None and set(np.unique(front_view.part_labels)) == {0, 5, 13}
    assert np.array_equal(front_view.mask, front_view.part_labels > 0)


def test_what_the_person_wears_reaches_the_fit(tmp_path, monkeypatch):
    import body_model.fit
    from measure import Measurer

    seen = []

    def fake_fit(views, height_cm, **kwargs):
        seen.append(kwargs["config"].clothes)
        raise _Captured

    monkeypatch.setattr(body_model.fit, "fit", fake_fit)
    front, back = _save(tmp_path / "f.jpg", _rgb("front.jpg")), _save(tmp_path / "b.jpg", _rgb("back.jpg"))
    for measurer, clothes in ((Measurer(parser=_SilhouetteParser()), None),
                              (Measurer(parser=_SilhouetteParser(), clothes="fitted"), None),
                              (Measurer(parser=_SilhouetteParser(), clothes="fitted"), " Everyday ")):
        with pytest.raises(_Captured):
            measurer.measure(front, back, 176.0, sex="male", clothes=clothes)
    assert seen == ["tight", "fitted", "everyday"]


def test_missing_parser_weights_file(inputs, tmp_path):
    result = runner.invoke(app, [str(inputs["front"]), str(inputs["back"]), "--height", "176",
                                 "--parser-weights", str(tmp_path / "nope.pt")])
    assert result.exit_code == 4, result.output
    assert "error: " in result.output and "nope.pt" in result.output


@pytest.mark.slow
def test_a_side_photo_in_doubt_is_left_out(tmp_path):
    from measure import Measurer

    front, back = _rgb("front.jpg"), _rgb("back.jpg")
    h, w = front.shape[:2]
    # A "side" photo whose person is 60% as tall as in the others (as if half of them had been lost).
    small = np.asarray(Image.fromarray(front).resize((int(w * 0.6), int(h * 0.6))))
    short = np.pad(small, ((h - small.shape[0], 0), ((w - small.shape[1]) // 2, (w - small.shape[1] + 1) // 2),
                           (0, 0)), mode="edge")
    files = {name: _save(tmp_path / f"{name}.jpg", rgb) for name, rgb in
             (("front", front), ("back", back), ("short", short))}
    result = Measurer(parser=_SilhouetteParser()).measure(files["front"], files["back"], 176.0, sex="male",
                                                          side=files["short"])
    (warning,) = [wn for wn in result.warnings if wn.code == "side_unused"]
    assert "short.jpg" in warning.subject and "px tall" in warning.message
    assert [v.kind for v in result.views] == ["front", "back"] and result.inputs["side"].endswith("short.jpg")
    assert result.fit.inputs_used == "front" and result.value("waist_girth") > 0


@pytest.mark.slow
def test_a_side_photo_without_a_person_is_left_out(inputs):
    from measure import Measurer

    result = Measurer().measure(inputs["front"], inputs["back"], 176.0, side=inputs["nobody"])
    (warning,) = [wn for wn in result.warnings if wn.code == "side_unused"]
    assert "no person found" in warning.message and warning.subject.endswith("wall.jpg")
    assert result.fit.inputs_used == "front"

"""Typed errors of the measuring pipeline, each with its documented CLI exit code.

Every error names what it is about (a file, a field, a value) and the reason, in one line:
`front.jpg: no person found`. The CLI's `guarded` prints `error: <message>` and exits with
`exit_code`; Python callers catch the classes below (all are `MeasureError`).

Exit codes (part of the CLI contract, listed in the README):

    0   success
    1   unexpected internal error
    2   bad command line (usage)
    3   missing optional component (e.g. Ray for --engine ray)
    4   input file missing, unreadable, empty, corrupt or not an image
    5   image absurdly large (pixels or bytes)
    6   no person found in a photo
    7   more than one person in a photo
    8   person cut off (head or feet outside the photo)
    9   person too small in the photo
    10  wrong view: front/back swapped, or both photos show the same side
    11  pose not usable: arms not held away from the body
    12  value out of human range (height, weight) or invalid option value
    13  size chart missing or invalid
    14  batch manifest missing or invalid
    15  the body fit failed
"""

from __future__ import annotations

from parsing import image_io

EXIT_INPUT_FILE = 4
EXIT_IMAGE_TOO_LARGE = 5
EXIT_NO_PERSON = 6
EXIT_MULTIPLE_PEOPLE = 7
EXIT_CUT_OFF = 8
EXIT_TOO_SMALL = 9
EXIT_WRONG_VIEW = 10
EXIT_POSE = 11
EXIT_OUT_OF_RANGE = 12
EXIT_CHART = 13
EXIT_MANIFEST = 14
EXIT_FIT = 15
EXIT_MISSING_COMPONENT = 3


class MeasureError(Exception):
    """Base of every expected failure; `subject` is the file or field, `reason` why."""

    exit_code: int = 1
    code: str = "error"   # a stable short name, written into batch results

    def __init__(self, subject: str, reason: str) -> None:
        super().__init__(f"{subject}: {reason}")
        self.subject = subject
        self.reason = reason


class InputFileError(MeasureError):
    """A photo that is missing, unreadable, empty, corrupt or not an image."""

    exit_code = EXIT_INPUT_FILE
    code = "input_file"


class ImageTooLargeError(InputFileError):
    exit_code = EXIT_IMAGE_TOO_LARGE
    code = "image_too_large"


class PhotoCheckError(MeasureError):
    """A readable photo that cannot be measured (what is in it is wrong)."""


class NoPersonError(PhotoCheckError):
    exit_code = EXIT_NO_PERSON
    code = "no_person"


class MultiplePeopleError(PhotoCheckError):
    exit_code = EXIT_MULTIPLE_PEOPLE
    code = "multiple_people"


class PersonCutOffError(PhotoCheckError):
    exit_code = EXIT_CUT_OFF
    code = "person_cut_off"


class PersonTooSmallError(PhotoCheckError):
    exit_code = EXIT_TOO_SMALL
    code = "person_too_small"


class WrongViewError(PhotoCheckError):
    exit_code = EXIT_WRONG_VIEW
    code = "wrong_view"


class PoseError(PhotoCheckError):
    exit_code = EXIT_POSE
    code = "arms_not_away"


class OutOfRangeError(MeasureError, ValueError):
    """A number (height, weight) outside the human range, or an invalid option value."""

    exit_code = EXIT_OUT_OF_RANGE
    code = "out_of_range"


class ChartError(MeasureError):
    exit_code = EXIT_CHART
    code = "chart"


class ManifestError(MeasureError):
    exit_code = EXIT_MANIFEST
    code = "manifest"


class FitError(MeasureError):
    exit_code = EXIT_FIT
    code = "fit_failed"


class MissingComponentError(MeasureError):
    exit_code = EXIT_MISSING_COMPONENT
    code = "missing_component"


def from_image_error(exc: image_io.ImageReadError, role: str | None = None) -> MeasureError:
    """The pipeline's error for a failure to read a photo (role: 'front photo', 'back photo' ...)."""
    subject = f"{exc.source} ({role})" if role and exc.source.startswith("<") else exc.source
    if isinstance(exc, image_io.ImageTooLargeError):
        return ImageTooLargeError(subject, exc.reason)
    return InputFileError(subject, exc.reason)

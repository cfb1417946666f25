"""Where the torso and thigh girths come from (Measurer(girths=...)), kept apart so the CLI imports light.

- "body": measured on the fitted body, like every other measurement;
- "outline": the photos' outline widths through a model learned on the pipeline's own readings of photos
  in these clothes (measure.build_photo_girths), or else on clean renders (measure.build_profile_girths);
- "auto": "outline" where such a photo-read model is learned for the clothes, "body" otherwise.
"""

GIRTH_SOURCES: tuple[str, ...] = ("auto", "outline", "body")
DEFAULT_GIRTHS = "body"

__all__ = ["DEFAULT_GIRTHS", "GIRTH_SOURCES"]

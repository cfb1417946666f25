"""Parser networks: ResNet encoders, CE2P and DeepLabV3 heads, the RPR model, and `build_model`."""

from parsing.models.factory import ARCHS, BuiltModel, ModelSpec, build_model
from parsing.models.rpr import FUSIONS, ParsingNet, ParsingOutput

__all__ = ["ARCHS", "FUSIONS", "BuiltModel", "ModelSpec", "ParsingNet", "ParsingOutput", "build_model"]

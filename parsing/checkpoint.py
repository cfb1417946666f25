"""Parser checkpoints: plain tensors plus JSON metadata, loadable with `torch.load(weights_only=True)`.

A file holds `format`, `spec` (JSON: arch, backbone, label set, regions, fusion, width, input size)
and `model` (the state dict). Training checkpoints add `train` (JSON: epoch, step, iteration, history,
config), `optimizer` and `scaler` state. Nothing in a file can run code when loaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from parsing.models.factory import ModelSpec

FORMAT = "rpr-parser-v1"


class ParserWeightsError(FileNotFoundError):
    """Weights missing, unreadable or not a parser checkpoint; the message names the file."""

    exit_code = 4  # input file missing or unreadable (the CLI contract, measure/errors.py)


class NoDefaultWeightsError(ParserWeightsError):
    """No weights given and none shipped in assets/parser/default.pt."""

    exit_code = 3  # missing optional component


@dataclass
class Checkpoint:
    spec: ModelSpec
    input_size: tuple[int, int]
    state_dict: dict[str, torch.Tensor]
    train: dict[str, Any] | None = None           # training progress (JSON-able), None in a weights-only file
    optimizer: dict[str, Any] | None = None
    scaler: dict[str, Any] | None = None


def save_checkpoint(path: str | Path, ckpt: Checkpoint, half: bool = False) -> Path:
    """Write atomically (temp file + rename), so an interrupted save never leaves a broken file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in ckpt.state_dict.items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    spec = ckpt.spec.to_dict() | {"input_size": list(ckpt.input_size)}
    payload: dict[str, Any] = {"format": FORMAT, "spec": json.dumps(spec), "model": state}
    if ckpt.train is not None:
        payload["train"] = json.dumps(ckpt.train)
    if ckpt.optimizer is not None:
        payload["optimizer"] = ckpt.optimizer
    if ckpt.scaler is not None:
        payload["scaler"] = ckpt.scaler
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise ParserWeightsError(f"{path}: weights file not found")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not our file"
        raise ParserWeightsError(f"{path}: not a readable parser checkpoint ({type(exc).__name__})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ParserWeightsError(f"{path}: not a parser checkpoint (expected format {FORMAT})")
    try:
        spec_dict = json.loads(payload["spec"])
        return Checkpoint(
            spec=ModelSpec.from_dict(spec_dict),
            input_size=tuple(int(v) for v in spec_dict.get("input_size", (384, 384))),  # type: ignore[arg-type]
            state_dict={k: v.float() if v.is_floating_point() else v for k, v in payload["model"].items()},
            train=json.loads(payload["train"]) if "train" in payload else None,
            optimizer=payload.get("optimizer"),
            scaler=payload.get("scaler"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ParserWeightsError(f"{path}: broken parser checkpoint ({type(exc).__name__}: {exc})") from exc


def export_weights(src: str | Path, dst: str | Path, half: bool = True) -> Path:
    """A shippable copy of a checkpoint: network and spec (and the training history, for the model
    card) without optimizer state, in float16 by default (half the size; loading casts back to float32)."""
    ckpt = load_checkpoint(src)
    train = None
    if ckpt.train is not None:
        train = {k: ckpt.train[k] for k in ("iteration", "history", "config") if k in ckpt.train}
    return save_checkpoint(dst, Checkpoint(ckpt.spec, ckpt.input_size, ckpt.state_dict, train), half=half)

"""Training of any parser (CE2P, DeepLabV3, their RPR versions) on any dataset: `train(config, data, meta)`.

The recipe is the paper's: SGD (momentum 0.9, weight decay 5e-4), poly learning rate
lr * (1 - it / max_it) ** 0.9, the loss of Eq. 7. CUDA with mixed precision when present, CPU
otherwise; several GPUs under `torchrun` (DDP, synchronised batch norm; `batch_size` is per process).
`out_dir/last.pt` is written at each epoch end and every `save_every_s` seconds (atomically), so a
run killed at any point continues with `resume=True` from the same batch; `out_dir/model.pt` holds
the final weights for `parsing.Parser`.

Datasets: any torch Dataset whose items are (image float (3, H, W) ImageNet-normalised, label long
(H, W) with 255 = ignore) at one fixed size, e.g. `TransformedPairs(raw, TrainTransform(meta, size))`.
The validation set, if any, holds raw pairs (rgb uint8 HWC, label uint8 HW) scored at original size.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from parsing.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from parsing.datasets.meta import DatasetMeta
from parsing.inference import Parser, resolve_device
from parsing.losses import RPRLoss
from parsing.models.factory import build_model

MAX_NONFINITE_STEPS = 20  # AMP may overflow now and then (the scaler skips those steps); 20 in a row is divergence


class TrainingError(ValueError):
    """A training run that cannot start (bad option, empty data, clashing output folder)."""

    exit_code = 12  # invalid option value (the CLI contract, measure/errors.py)


@dataclass
class TrainConfig:
    """Everything that defines a run. `regions`: region names of the meta (None = its paper default)."""

    out_dir: Path = Path("runs/parser")
    arch: str = "rpr-ce2p"                    # ce2p | deeplabv3 | rpr-ce2p | rpr-deeplabv3
    backbone: str = "resnet101"               # resnet18/34/50/101 | tiny
    regions: tuple[str, ...] | None = None
    fusion: str = "late"                      # late (Eq. 5) | mid (Eq. 6)
    region_weighting: str = "balanced"        # balanced: lambda_t = K / |L_t| (Eq. 8) | uniform: 1
    width: float = 1.0                        # head width multiplier (1 = the paper's CE2P widths)
    pretrained_backbone: bool = False         # torchvision ImageNet weights (needs a network)
    init_weights: str | None = None           # start from a checkpoint: tensors whose name and shape match
    input_size: tuple[int, int] = (384, 384)  # (h, w) the datasets yield; stored for inference
    epochs: int = 150
    max_iters: int | None = None              # overrides epochs when set (fixed-budget ablations)
    batch_size: int = 8                       # per process
    lr: float = 7e-3
    momentum: float = 0.9
    weight_decay: float = 5e-4
    poly_power: float = 0.9
    workers: int = 2
    device: str = "auto"
    amp: bool = True                          # mixed precision on CUDA (ignored on CPU)
    resume: bool = False
    save_every_s: float = 600.0               # also save last.pt mid-epoch after this many seconds
    save_every_epochs: int = 1                # save last.pt at the end of every n-th epoch (and the last)
    eval_every: int = 0                       # epochs between validations (0 = at the end only)
    eval_flip: bool = False
    half_weights: bool = False                # store model.pt in float16 (half the size)
    seed: int = 0
    progress: bool = True

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["out_dir"] = str(self.out_dir)
        d["input_size"] = list(self.input_size)
        d["regions"] = list(self.regions) if self.regions is not None else None
        return d


@dataclass
class TrainResult:
    out_dir: Path
    weights: Path                              # model.pt
    iterations: int
    history: list[dict[str, Any]] = field(default_factory=list)   # one entry per finished epoch
    val: dict[str, float] | None = None                            # final validation summary


@dataclass
class _Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def _init_distributed(device: torch.device) -> _Dist:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return _Dist()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return _Dist(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


class EpochBatches:
    """Batches of one epoch: a permutation seeded by (seed, epoch), sharded over ranks, from batch `start`.

    Deterministic, so a resumed run sees exactly the batches it had not seen yet.
    """

    def __init__(self, n: int, batch_size: int, seed: int, epoch: int, start: int = 0, rank: int = 0,
                 world: int = 1) -> None:
        g = torch.Generator().manual_seed(seed * 100_003 + epoch)
        perm = torch.randperm(n, generator=g)[rank::world].tolist()
        self.steps = steps_per_epoch(n, batch_size, world)
        self.batches = [perm[i * batch_size:(i + 1) * batch_size] for i in range(start, self.steps)]

    def __iter__(self):
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


def steps_per_epoch(n: int, batch_size: int, world: int = 1) -> int:
    return (n // world) // batch_size


def poly_lr(base: float, iteration: int, max_iters: int, power: float = 0.9) -> float:
    return base * (1 - min(iteration, max_iters) / max_iters) ** power


def load_matching(net: torch.nn.Module, state: dict[str, torch.Tensor]) -> tuple[int, int]:
    """Copy the tensors whose names and shapes match; returns (copied, skipped)."""
    own = net.state_dict()
    matched = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    net.load_state_dict(matched, strict=False)
    return len(matched), len(state) - len(matched)


def train(config: TrainConfig, train_set: Dataset, meta: DatasetMeta, val_set: Dataset | None = None) -> TrainResult:
    """Train a parser; returns where its weights are and how training went (see the module doc)."""
    device = resolve_device(config.device)
    dist = _init_distributed(device)
    if dist.world > 1 and device.type == "cuda":
        device = torch.device("cuda", dist.local_rank)
        torch.cuda.set_device(device)
    torch.manual_seed(config.seed + dist.rank)
    np.random.seed(config.seed + dist.rank)

    n = len(train_set)  # type: ignore[arg-type]
    if config.batch_size < 2:
        raise TrainingError(f"batch size {config.batch_size}: must be at least 2 (batch norm)")
    steps = steps_per_epoch(n, config.batch_size, dist.world)
    if steps == 0:
        raise TrainingError(f"training set has {n} items: fewer than one batch of {config.batch_size} per process")
    max_iters = config.max_iters or config.epochs * steps
    epochs = math.ceil(max_iters / steps)

    built = build_model(config.arch, config.backbone, meta, config.regions, config.fusion, config.width,
                        config.pretrained_backbone)
    net, spec = built.net, built.spec
    out_dir = Path(config.out_dir)
    last_path, weights_path = out_dir / "last.pt", out_dir / "model.pt"
    if last_path.exists() and not config.resume:
        raise TrainingError(f"{last_path}: a run already exists here; resume it or choose another output folder")

    state = {"epoch": 0, "step": 0, "iteration": 0, "history": []}
    resume_ckpt = load_checkpoint(last_path) if config.resume and last_path.exists() else None
    if resume_ckpt is not None:
        if resume_ckpt.spec.to_dict() != spec.to_dict():
            raise TrainingError(f"{last_path}: saved model ({resume_ckpt.spec.name}, {resume_ckpt.spec.backbone}) "
                                f"differs from the requested one ({spec.name}, {spec.backbone})")
        net.load_state_dict(resume_ckpt.state_dict)
        state.update({k: resume_ckpt.train[k] for k in state if resume_ckpt.train and k in resume_ckpt.train})
    elif config.init_weights:
        copied, skipped = load_matching(net, load_checkpoint(config.init_weights).state_dict)
        if dist.main:
            print(f"init from {config.init_weights}: {copied} tensors copied, {skipped} skipped")

    net.to(device)
    criterion = RPRLoss(meta.num_classes, spec.regions, config.region_weighting, meta.ignore_index).to(device)
    model: torch.nn.Module = net
    if dist.world > 1:
        if device.type == "cuda":  # synchronised batch norm needs GPUs; CPU (gloo) runs keep per-process stats
            model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(net)
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum,
                                weight_decay=config.weight_decay)
    use_amp = config.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    if resume_ckpt is not None:
        if resume_ckpt.optimizer:
            optimizer.load_state_dict(resume_ckpt.optimizer)
        if resume_ckpt.scaler and use_amp:
            scaler.load_state_dict(resume_ckpt.scaler)

    def save_last(epoch: int, step: int, iteration: int) -> None:
        if not dist.main:
            return
        train_state = {"epoch": epoch, "step": step, "iteration": iteration, "history": state["history"],
                       "config": config.to_dict()}
        save_checkpoint(last_path, Checkpoint(spec, config.input_size, net.state_dict(), train_state,
                                              optimizer.state_dict(), scaler.state_dict() if use_amp else None))

    iteration, val_summary = int(state["iteration"]), None
    position = (int(state["epoch"]), int(state["step"]))  # where a save made now would resume
    bad_steps = 0
    progress = _TrainProgress(config.progress and dist.main, max_iters, iteration)
    try:
        with progress:
            for epoch in range(int(state["epoch"]), epochs):
                start_step = int(state["step"]) if epoch == int(state["epoch"]) else 0
                loader = DataLoader(train_set, batch_sampler=EpochBatches(n, config.batch_size, config.seed, epoch,
                                                                          start_step, dist.rank, dist.world),
                                    num_workers=config.workers, pin_memory=device.type == "cuda")
                model.train()
                t0, losses, last_save = time.time(), [], time.time()
                for step, (images, labels) in enumerate(loader, start=start_step):
                    if iteration >= max_iters:
                        break
                    lr = poly_lr(config.lr, iteration, max_iters, config.poly_power)
                    for group in optimizer.param_groups:
                        group["lr"] = lr
                    if tuple(images.shape[-2:]) != tuple(config.input_size):
                        raise TrainingError(f"training images are {tuple(images.shape[-2:])} px but input_size is "
                                            f"{tuple(config.input_size)}: make the transform produce input_size")
                    images = images.to(device, non_blocking=True)
                    labels = labels.to(device, non_blocking=True).long()
                    with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                        out = model(images)
                    terms = criterion(out, labels)
                    loss_value = float(terms.total.detach())  # the one device sync per iteration
                    bad_steps = 0 if math.isfinite(loss_value) else bad_steps + 1
                    if bad_steps >= MAX_NONFINITE_STEPS:
                        raise TrainingError(f"loss not finite for {bad_steps} iterations in a row at iteration "
                                            f"{iteration}: lower the learning rate (now {config.lr})")
                    optimizer.zero_grad(set_to_none=True)
                    scaler.scale(terms.total).backward()
                    scaler.step(optimizer)
                    scaler.update()
                    iteration += 1
                    position = (epoch, step + 1)
                    losses.append(loss_value)
                    progress.update(iteration, losses[-1], len(images) * dist.world, epoch + 1, epochs)
                    if time.time() - last_save > config.save_every_s:
                        save_last(epoch, step + 1, iteration)
                        last_save = time.time()
                entry: dict[str, Any] = {"epoch": epoch + 1, "iteration": iteration, "lr": lr if losses else None,
                                         "loss": float(np.mean(losses)) if losses else None,
                                         "seconds": round(time.time() - t0, 2)}
                last_epoch = epoch + 1 == epochs or iteration >= max_iters
                if val_set is not None and dist.main and (last_epoch or (config.eval_every and
                                                                         (epoch + 1) % config.eval_every == 0)):
                    parser = Parser.from_model(net, spec, config.input_size, flip=config.eval_flip)
                    from parsing.evaluate import evaluate

                    val_summary = evaluate(parser, val_set, progress=False).summary()
                    entry["val"] = val_summary
                    progress.log(f"epoch {epoch + 1}: val mIoU {100 * val_summary['miou']:.2f}")
                    net.train()
                state["history"].append(entry)  # type: ignore[union-attr]
                position = (epoch + 1, 0)
                if last_epoch or (epoch + 1) % max(1, config.save_every_epochs) == 0:
                    save_last(epoch + 1, 0, iteration)
                    if dist.main:
                        (out_dir / "history.json").write_text(json.dumps(state["history"], indent=1))
                if iteration >= max_iters:
                    break
    except KeyboardInterrupt:
        save_last(position[0], position[1], iteration)
        progress.log(f"interrupted at iteration {iteration}: saved {last_path}, continue with resume")
        raise
    if dist.main:
        save_checkpoint(weights_path, Checkpoint(spec, config.input_size, net.state_dict()), half=config.half_weights)
    if dist.world > 1:
        torch.distributed.barrier()
    return TrainResult(out_dir, weights_path, iteration, list(state["history"]), val_summary)  # type: ignore[arg-type]


PLAIN_PROGRESS_EVERY_S = 60.0


class _TrainProgress:
    """A rich progress bar over iterations showing epoch, loss (running mean) and images/s; when the
    output is not a terminal (a background run writing a log), a plain line a minute instead."""

    def __init__(self, enabled: bool, total: int, done: int) -> None:
        self.enabled, self.total, self.done = enabled, total, done
        self.bar = None
        self.plain_next: float | None = None
        self.images, self.t0, self.ema = 0, time.time(), None

    def __enter__(self) -> _TrainProgress:
        if self.enabled and not sys.stdout.isatty():
            self.plain_next = time.time() + PLAIN_PROGRESS_EVERY_S  # a background run's log: a line a minute
        elif self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("[bold]train[/] {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("loss {task.fields[loss]}"), TextColumn("{task.fields[rate]} img/s"),
                                TimeRemainingColumn())
            self.bar.__enter__()
            self.task = self.bar.add_task("train", total=self.total, completed=self.done, epoch="", loss="-",
                                          rate="-")
        return self

    def update(self, iteration: int, loss: float, images: int, epoch: int, epochs: int) -> None:
        self.ema = loss if self.ema is None else 0.9 * self.ema + 0.1 * loss
        self.images += images
        if self.bar is not None:
            rate = self.images / max(time.time() - self.t0, 1e-6)
            self.bar.update(self.task, completed=iteration, epoch=f"epoch {epoch}/{epochs}", loss=f"{self.ema:.4f}",
                            rate=f"{rate:.1f}")
        elif self.plain_next is not None and (time.time() >= self.plain_next or iteration == self.total):
            self.plain_next = time.time() + PLAIN_PROGRESS_EVERY_S
            elapsed = max(time.time() - self.t0, 1e-6)
            per_iter = elapsed / max(iteration - self.done, 1)
            eta = per_iter * (self.total - iteration)
            print(f"{time.strftime('%H:%M:%S')} iteration {iteration}/{self.total} epoch {epoch}/{epochs} "
                  f"loss {self.ema:.4f} {self.images / elapsed:.1f} img/s eta {eta / 60:.0f} min", flush=True)

    def log(self, text: str) -> None:
        if self.bar is not None:
            self.bar.console.log(text)
        elif self.enabled:
            print(text, flush=True)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

"""The batch's Ray engine: the same per-person work on a Ray cluster (`pip install bodymeasure[distributed]`).

Each Ray actor builds the per-person function once (models load once per worker) and measures rows
sent to it; the coordinating process keeps a few rows in flight per actor and yields records as they
finish, so results.jsonl is still written by one process only. `address=None` starts a local Ray
instance; `address="auto"` or "ray://host:10001" joins an existing cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from measure.batch import BatchRow, WorkerFactory, run_person
from measure.errors import MissingComponentError

IN_FLIGHT_PER_WORKER = 2


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingComponentError(
            "--engine ray", "Ray is not installed; install it with: pip install 'bodymeasure[distributed]'"
        ) from None
    return ray


def iter_ray(
    rows: list[BatchRow], factory: WorkerFactory, workers: int, address: str | None = None,
    num_cpus_per_worker: float = 1.0,
) -> Iterator[dict[str, Any]]:
    """Records as rows finish on `workers` Ray actors."""
    if not rows:
        return
    ray = _import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"address": address, "ignore_reinit_error": True, "log_to_driver": False,
                                  "include_dashboard": False, "logging_level": logging.ERROR}
        if address is None:
            kwargs["num_cpus"] = max(1, int(workers * num_cpus_per_worker))
        ray.init(**kwargs)
    try:
        worker_cls = ray.remote(num_cpus=num_cpus_per_worker)(_PersonActor)
        actors = [worker_cls.remote(factory) for _ in range(max(1, workers))]
        pending = iter(rows)
        in_flight: dict[Any, tuple[BatchRow, Any]] = {}

        def submit(actor: Any) -> bool:
            row = next(pending, None)
            if row is None:
                return False
            in_flight[actor.run.remote(row)] = (row, actor)
            return True

        for actor in actors:
            for _ in range(IN_FLIGHT_PER_WORKER):
                submit(actor)
        while in_flight:
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            ref = ready[0]
            row, actor = in_flight.pop(ref)
            try:
                yield ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - a lost actor fails its row, not the batch
                yield {"id": row.id, "status": "error", "seconds": 0.0,
                       "error": {"code": "internal", "exit_code": 1,
                                 "message": f"ray worker failed: {type(exc).__name__}: {exc}"}}
            submit(actor)
    finally:
        if started_here:
            ray.shutdown()


class _PersonActor:
    """A Ray actor holding one per-person function (one set of loaded models)."""

    def __init__(self, factory: WorkerFactory) -> None:
        self.fn = factory()

    def run(self, row: BatchRow) -> dict[str, Any]:
        return run_person(self.fn, row)

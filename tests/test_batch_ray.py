"""The Ray engine on a local Ray instance (skipped when the optional `distributed` extra is absent)."""

from __future__ import annotations

import sys

import pytest

from measure.batch import read_records, run_batch


@pytest.mark.slow
def test_ray_engine_matches_local(tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is the optional 'distributed' extra: pip install 'ray>=2.9'")
    import test_batch_runner as stub_module

    # Ray workers do not share this test's sys.path: ship the stand-in by value.
    ray.cloudpickle.register_pickle_by_value(stub_module)
    try:
        manifest = stub_module.write_manifest(tmp_path, n=10, broken={2, 7})
        summary = run_batch(manifest, tmp_path / "r", stub_module.StubWorker(), workers=2, engine="ray")
    finally:
        ray.cloudpickle.unregister_pickle_by_value(stub_module)
    assert (summary.ok, summary.errors) == (8, 2)
    records = read_records(tmp_path / "r")
    assert sorted(r["id"] for r in records) == [f"p{i:02d}" for i in range(10)]
    pids = {r["result"]["worker_pid"] for r in records if r["status"] == "ok"}
    assert len(pids) == 2, "each Ray actor builds its own per-person function once"
    assert not ray.is_initialized(), "a Ray instance started by the batch is shut down after it"


def test_missing_ray_is_a_clear_error(tmp_path, monkeypatch):
    from measure.batch import BatchRow
    from measure.batch_ray import iter_ray
    from measure.errors import MissingComponentError

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingComponentError, match="pip install") as info:
        list(iter_ray([BatchRow("a", "f", "b", "170")], lambda: None, 1))
    assert info.value.exit_code == 3

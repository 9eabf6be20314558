"""prepare_store: progress through a callback, one call per system curated."""

from __future__ import annotations

from dynafold.data.prepare import prepare_store

NMR = ("1l2y.pdb", "2axd.pdb")


def test_progress_after_each_curated_system(shared_data, tmp_path) -> None:
    calls: list[tuple[int, int, str]] = []
    paths = [shared_data / "nmr" / f for f in NMR]
    report = prepare_store("nmr", paths, tmp_path / "store", progress=lambda *call: calls.append(call))
    assert report.prepared == ["1l2y", "2axd"]
    assert calls == [(1, 2, "1l2y"), (2, 2, "2axd")]
    calls.clear()
    again = prepare_store("nmr", paths, tmp_path / "store", progress=lambda *call: calls.append(call))
    assert again.skipped == ["1l2y", "2axd"] and calls == []  # nothing curated, nothing reported


def test_progress_with_worker_processes(shared_data, tmp_path) -> None:
    calls: list[tuple[int, int, str]] = []
    prepare_store("nmr", [shared_data / "nmr" / f for f in NMR], tmp_path / "store", workers=2,
                  progress=lambda *call: calls.append(call))
    assert [c[:2] for c in calls] == [(1, 2), (2, 2)] and sorted(c[2] for c in calls) == ["1l2y", "2axd"]

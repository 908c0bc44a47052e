"""Products sharing no file are read on threads, as if one after the other (issue 12).

- :func:`helioport.threads.in_threads` runs tasks at the same time (this
  thread and the process's pool), never waits for a busy pool, keeps the
  order of results, gives the tasks' warnings in the calling thread in order
  (pointing at the user's line) and the first error in order, starting no
  item after an error and once the started ones have ended; context variables
  reach the tasks; :func:`helioport.errors.quiet` blocks on two threads leave
  the warning filters as they were;
- :func:`helioport.lifecycle.read._sharing_files` puts products that share a
  file in one group (one thread opens, and heals, a file);
- a 4-probe MMS load reads its four files on the pool's threads and equals
  the load on one; a damaged cached file is healed on its thread, its warning given once.
"""

from __future__ import annotations

import threading
import time
import warnings
from contextvars import ContextVar
from pathlib import Path
from types import SimpleNamespace

import helioport
import numpy as np
import pytest
import xarray as xr
from helioport.errors import warn_caller
from helioport.lifecycle import read as read_step
from helioport.threads import cores, in_threads
from helioport_mms.fixtures import write_fgm

PROBES = ["mms1", "mms2", "mms3", "mms4"]
START = "2015-10-16T13:05:24"
END = "2015-10-16T13:05:40"


def test_tasks_run_at_the_same_time_and_results_keep_their_order():
    barrier = threading.Barrier(2, timeout=10)  # both tasks must be running at once to pass

    def task(x: int) -> tuple[int, str]:
        barrier.wait()
        return x * 10, threading.current_thread().name

    out = in_threads(task, [1, 2], workers=2)
    assert [v for v, _ in out] == [10, 20]
    names = {name for _, name in out}  # this thread and one of the pool's
    assert len(names) == 2 and names - {threading.current_thread().name} <= {*_pool_names()}


def _pool_names() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("helioport")]


def test_a_task_that_calls_in_threads_again_never_waits_for_the_busy_pool():
    def inner(x: int) -> int:
        return sum(in_threads(lambda y: x * y, [1, 2, 3], workers=2))

    # more outer tasks than pool threads, each asking for threads again: done in this thread
    assert in_threads(inner, list(range(8)), workers=8) == [6 * x for x in range(8)]


def test_one_worker_or_one_item_runs_in_the_calling_thread():
    here = threading.get_ident()
    assert in_threads(lambda _: threading.get_ident(), [1, 2, 3], 1) == [here] * 3
    assert in_threads(lambda _: threading.get_ident(), [1], 4) == [here]
    assert in_threads(lambda x: x, [], 4) == []


def test_warnings_are_given_in_order_in_the_calling_thread_at_the_users_line():
    def task(x: float) -> float:
        time.sleep(x)  # the first item ends last
        warn_caller(f"item {x}")
        return x

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert in_threads(task, [0.2, 0.0, 0.1], workers=3) == [0.2, 0.0, 0.1]
    assert [str(w.message) for w in caught] == ["item 0.2", "item 0.0", "item 0.1"]
    assert {w.filename for w in caught} == {__file__}  # this test's line, not threading's


def test_the_first_error_in_order_is_raised_once_every_started_task_has_ended():
    barrier = threading.Barrier(3, timeout=10)  # the three run at once
    ended: list[str] = []

    def task(x: str) -> str:
        barrier.wait()
        time.sleep({"ok": 0.1, "late": 0.2, "early": 0.0}[x])
        if x != "ok":
            raise ValueError(f"bad {x}")
        ended.append(x)
        return x

    with pytest.raises(ValueError, match="bad late"):  # first in order, though it failed last
        in_threads(task, ["ok", "late", "early"], workers=3)
    assert ended == ["ok"]  # ended before the error was raised


def test_after_an_error_no_item_starts_and_the_warnings_of_those_that_ran_are_given():
    barrier = threading.Barrier(2, timeout=10)
    ran: list[str] = []

    def task(x: str) -> str:
        ran.append(x)
        warn_caller(f"before {x}")
        if x in ("a", "b"):
            barrier.wait()  # a and b run at once, on two threads
        if x == "a":
            raise ValueError("bad a")
        time.sleep(0.1)
        return x

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="bad a"):
            in_threads(task, ["a", "b", "c", "d"], workers=2)
    assert sorted(ran) == ["a", "b"]  # c and d were never started
    assert [str(w.message) for w in caught] == ["before a", "before b"]


def test_a_base_exception_on_a_pool_thread_reaches_the_caller_as_it_is():
    caller = threading.current_thread()
    barrier = threading.Barrier(2, timeout=10)

    def task(x: int) -> int:
        barrier.wait()
        if threading.current_thread() is not caller:
            raise SystemExit("from the pool")
        return x

    with pytest.raises(SystemExit, match="from the pool"):
        in_threads(task, [1, 2], workers=2)


def test_without_new_threads_at_interpreter_shutdown_this_thread_does_all(monkeypatch):
    from helioport import threads

    class Closed:
        def submit(self, *args, **kwargs):
            raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(threads, "_pool", lambda: Closed())
    here = threading.get_ident()
    assert in_threads(lambda x: (x, threading.get_ident()), [1, 2, 3], workers=2) == [
        (1, here),
        (2, here),
        (3, here),
    ]


def test_helioports_quiet_blocks_on_two_threads_leave_the_filters_as_they_were():
    from helioport.errors import quiet

    before = list(warnings.filters)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a() -> None:
        with quiet(UserWarning):
            a_in.set()
            b_in.wait(0.3)  # b enters now, unless blocks take turns
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with quiet(UserWarning):
            b_in.set()
            a_out.wait(5)  # a leaves first: b would put back a list holding a's filter

    threads = [threading.Thread(target=f) for f in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert warnings.filters == before
    with pytest.warns(UserWarning, match="seen"):
        warnings.warn("seen", UserWarning)


def test_context_variables_reach_the_tasks_and_theirs_stay_there():
    var: ContextVar[str] = ContextVar("hp_test_var", default="unset")
    var.set("caller")

    def task(x: int) -> str:
        seen = var.get()
        var.set(f"task {x}")
        return seen

    assert in_threads(task, [1, 2], workers=2) == ["caller", "caller"]
    assert var.get() == "caller"


def test_cores_is_at_least_one():
    assert cores() >= 1


def _found(files_by_key: dict) -> dict:
    return {
        key: SimpleNamespace(selected=[SimpleNamespace(relpath=p) for p in paths])
        for key, paths in files_by_key.items()
    }


def test_products_sharing_a_file_are_one_group_in_request_order():
    found = _found(
        {
            ("a", "p1"): ["f1"],
            ("b", "p2"): ["f2"],
            ("c", "p3"): ["f3", "f4"],
            ("d", "p1"): ["f1"],  # shares f1 with a
            ("e", "p4"): ["f4", "f2"],  # joins b and c
            ("f", "p5"): ["f5"],
        }
    )
    assert read_step._sharing_files(found) == [
        [("a", "p1"), ("d", "p1")],
        [("b", "p2"), ("c", "p3"), ("e", "p4")],
        [("f", "p5")],
    ]


@pytest.fixture
def mms_mirror(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "mirror"
    for i, p in enumerate(PROBES):
        write_fgm(root, p, "brst", START, 4096, compress=6, seed=i)
    monkeypatch.setenv("HELIOPORT_MMS_URL", str(root))
    monkeypatch.setenv("HELIOPORT_CACHE_DIR", str(tmp_path / "cache"))
    return root


def _load(**kw) -> xr.Dataset:
    return helioport.load(
        "mms", START, END, products="dc_mag", probes=PROBES, mode="brst", coords="gse", **kw
    )


def _threads_of_reads(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = read_step.read_one

    def spy(*args, **kwargs):
        seen.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(read_step, "read_one", spy)
    return seen


def test_four_probes_are_read_on_two_threads_and_equal_one_thread(mms_mirror, monkeypatch):
    monkeypatch.setattr(read_step, "cores", lambda: 1)
    one = _load()
    seen = _threads_of_reads(monkeypatch)
    monkeypatch.setattr(read_step, "cores", lambda: 2)
    two = _load()
    assert len(seen) == 4 and set(seen) <= {threading.current_thread().name, *_pool_names()}
    for ds in (one, two):
        ds.attrs.pop("request_json")
    xr.testing.assert_identical(one, two)
    assert two["dc_mag_mms3"].shape == (2048, 3)


def test_a_damaged_file_is_healed_on_its_thread_with_one_warning(mms_mirror, monkeypatch):
    monkeypatch.setattr(read_step, "cores", lambda: 2)
    first = _load()
    cache = Path(helioport.config.Config.load().cache_dir)
    (bad,) = cache.rglob("mms3_fgm_brst_l2_*.cdf")
    data = bad.read_bytes()
    bad.write_bytes(data[:8] + bytes(len(data) - 8))  # magic kept, the rest zeroes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = _load()
    healed = [w for w in caught if "moved aside and fetched again" in str(w.message)]
    assert len(healed) == 1 and "mms3_fgm_brst_l2" in str(healed[0].message)
    assert healed[0].filename == __file__
    np.testing.assert_array_equal(again["dc_mag_mms3"].values, first["dc_mag_mms3"].values)
    assert bad.read_bytes() == data

"""Sweep grids: values parsed per setting, bad grids refused in one sentence before anything runs,
points labelled by what varies, and the Pareto frontier."""

from __future__ import annotations

import argparse

import pytest

from tui.engine import PointResult, TuneError, TuneGrid, pareto, parse_axis
from tui.engine.latency import LatencySummary
from tui.headless.tune import add_arguments, build_grid, markdown, row_cells


def test_axes_parse_and_refuse() -> None:
    assert parse_axis("linger_ms", "0, 5,50") == (0, 5, 50)
    assert parse_axis("acks", "1,-1") == ("1", "all")
    assert parse_axis("idempotence", "false,true") == (False, True)
    for axis, text, words in (("linger_ms", "0,five", "whole numbers"),
                              ("compression", "none,brotli", "Unknown compression.type 'brotli'"),
                              ("batch_size", "0", "between 1"), ("acks", "1,1", "twice"),
                              ("nope", "1", "Unknown setting")):
        with pytest.raises(TuneError, match=words):
            parse_axis(axis, text)


def test_bad_grids_get_one_sentence() -> None:
    with pytest.raises(TuneError, match="Idempotence needs acks=all.*acks=1"):
        TuneGrid(acks=("1", "all"), idempotence=(True,)).validate()
    with pytest.raises(TuneError, match="above the broker's message.max.bytes"):
        TuneGrid(batch_size=(16384, 2_000_000)).validate(max_message_bytes=1_048_588)
    with pytest.raises(TuneError, match="at most 200"):
        TuneGrid(linger_ms=tuple(range(30)), batch_size=tuple(range(1, 11))).validate()
    assert TuneGrid(batch_size=(2_000_000,)).validate(max_message_bytes=4_000_000)


def test_points_are_the_product_labelled_by_what_varies() -> None:
    grid = TuneGrid(linger_ms=(0, 50), compression=("none", "zstd"))
    points = grid.points()
    assert grid.varied == ("linger_ms", "compression")
    assert [p.label for p in points] == ["linger=0 none", "linger=0 zstd", "linger=50 none",
                                         "linger=50 zstd"]
    profile = points[3].profile("x")
    assert (profile.linger_ms, profile.compression) == (50, "zstd")
    assert TuneGrid().points()[0].label == "defaults"


def result(i: int, tput: float, p99: float | None, error: str | None = None) -> PointResult:
    return PointResult(i, f"p{i}", (), throughput=tput, ack=LatencySummary(count=1, p99=p99),
                       error=error)


def test_frontier() -> None:
    rs = [result(0, 100, 0.010), result(1, 200, 0.020), result(2, 150, 0.030),  # 2: beaten by 1
          result(3, 300, 0.050), result(4, 500, 0.001, error="failed"), result(5, 50, None)]
    assert pareto(rs) == {0, 1, 3}


def test_cli_grid_and_markdown() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["t", "--linger-ms", "0,5", "--max-poll-records", "100"])
    grid = build_grid(args)
    assert (grid.linger_ms, grid.max_poll_records) == ((0, 5), (100,))
    from tui.engine import SweepView

    view = SweepView(topic="t", grid=(), varied=("linger_ms",), total=2,
                     results=(PointResult(0, "linger=0", (), throughput=1000.0, frontier=True),),
                     state="cancelled")
    assert row_cells(view.results[0])[-1] == "*"
    md = markdown(view)
    assert "1 of 2 points measured (cancelled)" in md
    assert "| linger=0 | 1,000 |" in md

"""``geoplan demo``: the planner's whole job on the bundled plan and sample, in one call.

:func:`run_demo` parses 泉台管〔2021〕57号 into the task register, loads the illustrative
sample layers and progress log of 泉州台商投资区, stores them in a GeoPackage database,
computes the scorecard, and writes the offline map and the progress report. Every file is
written atomically under a fixed name, so running it again overwrites its own output and
never touches anything else in the folder.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ._common.atomic import atomic_path, write_text
from ._errors import ReportError, StoreError
from .settings import logger

#: Output file names, by what they hold (the keys of :attr:`DemoResult.files`).
FILES: dict[str, str] = {
    "register_json": "register.json",
    "register_csv": "register.csv",
    "database": "geoplan.gpkg",
    "scorecard_csv": "scorecard.csv",
    "scorecard_json": "scorecard.json",
    "map": "map.html",
    "report": "report.html",
    "ledger_template": "台账模板.xlsx",
}

#: The steps, in order, with the Chinese label the command line shows. The scorecard comes
#: before the database because the database keeps it as a metric snapshot.
STEPS: tuple[tuple[str, str], ...] = (
    ("plan", "解析规划，写出任务清单和台账模板"),
    ("layers", "读取示例图层与进度记录"),
    ("scorecard", "计算目标清单（含历年年底进度）"),
    ("database", "写入数据库（GeoPackage）"),
    ("map", "生成离线交互地图"),
    ("report", "生成进度报告"),
)

Progress = Callable[[int, str, str], None]


@dataclass
class DemoResult:
    """What :func:`run_demo` wrote and measured.

    Attributes
    ----------
    out_dir
        The output folder.
    files
        Output key (see :data:`FILES`) -> path written.
    scorecard
        The scorecard frame (as from :func:`geoplan.scorecard`).
    timings
        Step name (see :data:`STEPS`) -> seconds taken.
    skipped
        Step name -> why it was skipped. Only the database step can be: when the
        database cannot be written (a full disk, say) every other output still is.
    """

    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    scorecard: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    plan: Any = None
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        """Wall time of all steps together."""
        return sum(self.timings.values())


def _write_database(
    path: Path,
    plan: Any,
    layers: Mapping[str, Any],
    records: pd.DataFrame,
    history: pd.DataFrame,
) -> None:
    from .metrics import plan_start
    from .store import open_store

    # build the database beside its final name, then swap it in: a reader never sees a
    # half-written file, and an old demo database is replaced whole
    with atomic_path(path, what="database", suffix=".gpkg") as tmp, open_store(tmp) as db:
        db.init()
        # the sample's dated columns describe progress since the plan started
        db.load(layers=layers, plan=plan, records=records, valid_from=plan_start(plan))
        for day, card in history.groupby("as_of", sort=True):
            db.snapshot(card, as_of=day)


def run_demo(
    out_dir: str | os.PathLike[str] = "geoplan-demo",
    *,
    as_of: dt.date | str | None = None,
    pdf: bool = False,
    progress: Progress | None = None,
) -> DemoResult:
    """Run the whole job on the bundled plan and sample and write every output.

    Parameters
    ----------
    out_dir
        Output folder, created if missing. Files geoplan wrote there before are replaced;
        other files are left alone.
    as_of
        Evaluate targets as of this date (default today).
    pdf
        Also print the report to ``report.pdf`` with headless Chromium.
    progress
        Called as ``progress(step_number, step_name, label)`` before each step, so that a
        caller can show progress; the library itself only logs.

    Returns
    -------
    DemoResult
        The files written, the scorecard and the time each step took.

    Examples
    --------
    >>> import tempfile, geoplan
    >>> result = geoplan.run_demo(tempfile.mkdtemp())  # doctest: +SKIP
    >>> sorted(result.files)[:3]  # doctest: +SKIP
    ['card_csv', 'card_json', 'database']
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ReportError(f"demo output {out} is a file, not a folder; pass another -o DIR")
    out.mkdir(parents=True, exist_ok=True)
    run = _DemoRun(DemoResult(out_dir=out), as_of=as_of, pdf=pdf)
    result = run.result
    for number, (name, label) in enumerate(STEPS, start=1):
        if progress is not None:
            progress(number, name, label)
        start = time.perf_counter()
        getattr(run, f"step_{name}")()
        result.timings[name] = time.perf_counter() - start
        logger.info("demo: %s took %.1f s", name, result.timings[name])
    return result


class _DemoRun:
    """The steps of :func:`run_demo`, one method per name in :data:`STEPS`, in that order.

    Each step reads what the earlier ones left on the instance and records the files it
    wrote in :attr:`result`.
    """

    def __init__(self, result: DemoResult, *, as_of: dt.date | str | None, pdf: bool) -> None:
        self.result = result
        self.as_of = as_of
        self.pdf = pdf
        self.paths = {key: result.out_dir / name for key, name in FILES.items()}
        self.plan: Any = None
        self.layers: dict[str, Any] = {}
        self.records: pd.DataFrame = pd.DataFrame()
        self.history: pd.DataFrame = pd.DataFrame()
        self.card: pd.DataFrame = pd.DataFrame()
        self.day: dt.date = dt.date.today()

    def _wrote(self, *keys: str) -> None:
        self.result.files.update({key: self.paths[key] for key in keys})

    def step_plan(self) -> None:
        """Parse the bundled plan; write the task register (JSON and CSV)."""
        from .datasets import load_sample_plan

        self.plan = self.result.plan = load_sample_plan()
        self.plan.to_json(self.paths["register_json"])
        self.plan.to_csv(self.paths["register_csv"])
        self._wrote("register_json", "register_csv")
        # the workbook the lead office sends to the units (geoplan records template)
        from .records._template import write_template

        self.result.files["ledger_template"] = write_template(
            self.plan, self.paths["ledger_template"]
        )

    def step_layers(self) -> None:
        """Load the sample layers and progress log."""
        from .datasets import load_sample, load_sample_records

        self.layers = load_sample()
        self.records = load_sample_records()

    def step_scorecard(self) -> None:
        """Compute the scorecard history up to the as-of day; write that day's card."""
        from ._common.dates import as_date
        from .metrics import scorecard_history
        from .metrics._export import scorecard_to_csv, scorecard_to_json

        day = as_date(self.as_of, "as_of", error=ReportError) or dt.date.today()
        if day > dt.date.today():
            logger.warning("demo: as_of %s is in the future; using today", day)
            day = dt.date.today()
        history = scorecard_history(self.plan, self.layers, self.records, as_of=day)
        card = history[history["as_of"] == day].reset_index(drop=True)
        write_text(self.paths["scorecard_csv"], scorecard_to_csv(card), encoding="utf-8-sig")
        write_text(self.paths["scorecard_json"], scorecard_to_json(card))
        self.card = self.result.scorecard = card
        self.history = history
        self.day = day
        self._wrote("scorecard_csv", "scorecard_json")

    def step_database(self) -> None:
        """Store everything in the GeoPackage; a store error skips it (with the reason)."""
        try:
            _write_database(
                self.paths["database"], self.plan, self.layers, self.records, self.history
            )
        except StoreError as exc:
            # the map and the report do not need the database: write them anyway and say
            # what was left out and how to get it (the message names the package to install)
            self.result.skipped["database"] = str(exc)
            logger.warning("demo: the database was not written: %s", exc)
            return
        self._wrote("database")

    def step_map(self) -> None:
        """Write the offline map."""
        from .maps import make_map, save_map

        fmap = make_map(self.layers, plan=self.plan, scorecard=self.card, offline=True)
        self.result.files["map"] = save_map(fmap, self.paths["map"])

    def step_report(self) -> None:
        """Write the progress report (and its PDF when asked)."""
        from .report import write_report

        self.result.files["report"] = write_report(
            self.plan,
            self.layers,
            self.records,
            path=self.paths["report"],
            as_of=self.day,
            scorecard=self.card,
            history=self.history,
            sample=True,
            pdf=self.pdf,
        )
        if self.pdf:
            self.result.files["report_pdf"] = self.paths["report"].with_suffix(".pdf")

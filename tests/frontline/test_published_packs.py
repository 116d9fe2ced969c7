"""Published packs are loaded and checked when the app starts, not on the first event."""

import shutil

import pytest

from frontline import create_app
from frontline.guidance.packs import DEFAULT_PACKS
from guidance_rules.errors import RuleError


def config(tmp_path, pack_dir) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "RULE_PACK_DIR": str(pack_dir),
    }


def test_a_broken_published_pack_stops_the_boot_with_the_engines_message(tmp_path):
    packs = shutil.copytree(DEFAULT_PACKS, tmp_path / "packs")
    host = packs / "host.yaml"
    text = host.read_text()
    condition = next(line for line in text.splitlines() if "when:" in line)
    host.write_text(text.replace(condition, condition.split("when:")[0] + "when: guest.tier ==", 1))
    with pytest.raises(RuleError) as caught:
        create_app(config(tmp_path, packs))
    message = str(caught.value)
    assert "host.yaml" in message and "^" in message, message


def test_every_published_pack_is_ready_before_the_first_request(tmp_path):
    app = create_app(config(tmp_path, DEFAULT_PACKS))
    shelf = app.extensions["guidance_packs"]
    assert {"host", "rep"} <= set(shelf.audiences)
    with app.app_context(), pytest.raises(LookupError, match="no published pack for 'spa'"):
        shelf.get("spa")  # no tables yet: the shipped files are in force

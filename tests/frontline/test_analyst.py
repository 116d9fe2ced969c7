"""The analyst's screens: navigation with what waits, the published rules, the model cards."""

import shutil

from frontline.guidance.packs import published_pack


def test_home_links_to_rules_models_and_approvals(app, client, auth):
    auth.login("analyst")
    html = client.get("/analyst/").get_data(as_text=True)
    for href in ('href="/analyst/rules"', 'href="/analyst/models"', 'href="/analyst/approvals"'):
        assert href in html
    assert 'data-waiting="0"' in html and "0 waiting" in html
    assert "version" in html and "rules" in html


def test_rules_page_shows_every_published_rule_with_its_facts(app, client, auth):
    auth.login("analyst")
    html = client.get("/analyst/rules").get_data(as_text=True)
    with app.app_context():
        packs = [published_pack("host"), published_pack("rep")]
    for pack in packs:
        assert f'data-pack="{pack.id}"' in html and f"version {pack.version}" in html
        for rule in pack.rules:
            assert f'data-rule="{rule.id}"' in html, rule.id
            fact = pack.vocabulary.facts[rule.facts[0]]
            assert fact.description.split("'")[0][:30] in html, fact.name


def test_models_page_shows_the_cards_or_how_to_train(app, client, auth, cargo_model_dir, tmp_path):
    auth.login("analyst")
    app.config["MODEL_DIR"] = str(tmp_path / "empty")
    html = client.get("/analyst/models").get_data(as_text=True)
    assert html.count("train it first") == 3  # guest value, propensity, cargo pricing
    app.config["MODEL_DIR"] = str(shutil.copytree(cargo_model_dir, tmp_path / "models"))
    html = client.get("/analyst/models").get_data(as_text=True)
    assert 'data-model="cargo_pricing"' in html and "cargo_pricing@" in html
    assert "Holdout metrics" in html and "Data window" in html
    assert html.count("train it first") == 2

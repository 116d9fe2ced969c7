"""An unreachable database is one clear line for the CLI and a 503 page for people."""

import subprocess
import sys

from frontline import create_app

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/nowhere?connect_timeout=2"


def test_cli_says_one_line(tmp_path):
    env = {"FRONTLINE_DATABASE_URL": UNREACHABLE, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "from frontline.cli import main; main()", "demo", "load"],
        capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        "Error: cannot reach the database postgresql+psycopg://nobody@127.0.0.1:1"
    )
    assert "Traceback" not in result.stderr


def test_web_answers_503():
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE, "TESTING": True})
    response = app.test_client().get("/login")
    assert response.status_code == 200  # the sign-in page needs no database
    response = app.test_client().post("/login", data={"email": "a@b.c", "password": "x"})
    # CSRF is checked first; with a token the throttle query hits the database.
    assert response.status_code in (400, 503)
    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 503
    assert "database cannot be reached" in response.get_data(as_text=True)
    api = app.test_client().get("/api/v1/token", headers={"Authorization": "Bearer x"})
    assert api.status_code == 503 and api.is_json

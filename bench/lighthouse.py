"""Lighthouse (mobile) on the phone screens: `python bench/lighthouse.py [--small] [--only NAME]`.

Installs Node's `lighthouse` (pinned) with npm into test-artifacts/lighthouse the first time,
runs it against Debian's Chromium on the app served from this process (demo world, a dozen
arrivals), signed in as each screen's role (the session cookie passed as a header), and prints
Performance / Accessibility / Best Practices per screen, with the issue's targets (98/100/100).
The baseline in the same run is the sign-in page, which has no data behind it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from phone_weight import post_arrivals, world  # noqa: E402

from frontline import create_app  # noqa: E402
from frontline.extensions import db  # noqa: E402
from frontline.tables import IssuedCard, User  # noqa: E402
from tests.servers import LiveServer  # noqa: E402

LIGHTHOUSE_VERSION = "12.2.3"  # 12.3+ wants Node 22; Debian has Node 20
TOOLS = ROOT / "test-artifacts" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
TARGETS = {"performance": 98, "accessibility": 100, "best-practices": 100}


def lighthouse() -> Path:
    binary = TOOLS / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        TOOLS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "-E", f"lighthouse@{LIGHTHOUSE_VERSION}"],
            cwd=TOOLS,
            check=True,
        )
    return binary


def session_cookie(url: str, email: str) -> str:
    client = requests.Session()
    page = client.get(f"{url}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post(
        f"{url}/login",
        data={"email": email, "password": "demo", "csrf_token": token},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 303, f"sign-in as {email}: {answer.status_code}"
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def audit(binary: Path, url: str, cookie: str | None, out: Path) -> dict[str, int]:
    command = [
        str(binary),
        url,
        "--quiet",
        "--form-factor=mobile",
        "--only-categories=performance,accessibility,best-practices",
        "--output=json",
        f"--output-path={out}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=300)
    report = json.loads(out.read_text())
    scores = {key: round((report["categories"][key]["score"] or 0) * 100) for key in TARGETS}
    failing = [
        audit["id"]
        for audit in report["audits"].values()
        if audit.get("score") is not None
        and audit["score"] < 0.9
        and audit.get("scoreDisplayMode") in ("binary", "numeric")
    ]
    scores["failing"] = failing
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="a smaller demo world (faster)")
    parser.add_argument("--only", help="one screen by name")
    options = parser.parse_args()
    binary = lighthouse()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-it",
                "MODEL_DIR": f"{tmp}/models",
            }
        )
        world(app, options.small)
        with LiveServer(app) as server:
            post_arrivals(app, server.url)
            with app.app_context():
                maya = User.by_email("host@demo.test")
                card = db.session.scalar(
                    select(IssuedCard.id).where(IssuedCard.assignee_id == maya.id).limit(1)
                )
            screens = [
                ("login", "/login", None),
                ("host inbox", "/host/", "host@demo.test"),
                ("host card", f"/host/cards/{card}", "host@demo.test"),
                ("rep home", "/rep/", "rep@demo.test"),
                ("capacity", "/rep/board", "rep@demo.test"),
                ("quote", "/rep/quote", "rep@demo.test"),
                ("analyst home", "/analyst/", "analyst@demo.test"),
                ("scoreboard", "/analyst/scoreboard", "analyst@demo.test"),
            ]
            cookies: dict[str, str] = {}
            rows = []
            for name, path, email in screens:
                if options.only and options.only != name:
                    continue
                cookie = None
                if email:
                    cookie = cookies.setdefault(email, session_cookie(server.url, email))
                status = requests.get(
                    f"{server.url}{path}", headers={"Cookie": cookie or ""}, timeout=30
                ).status_code
                if status != 200:
                    rows.append((name, None, f"skipped: {path} answers {status}"))
                    continue
                scores = audit(binary, f"{server.url}{path}", cookie, Path(tmp) / "report.json")
                rows.append((name, scores, ""))
    print("\nLighthouse", LIGHTHOUSE_VERSION, "mobile; targets:", TARGETS, "\n")
    print(f"{'screen':14} {'perf':>5} {'a11y':>5} {'best':>5}  failing audits")
    for name, scores, note in rows:
        if scores is None:
            print(f"{name:14} {note}")
            continue
        cells = [scores[key] for key in TARGETS]
        marks = "".join(
            " " if v >= t else "!" for v, t in zip(cells, TARGETS.values(), strict=True)
        )
        print(
            f"{name:14} {cells[0]:>5} {cells[1]:>5} {cells[2]:>5} {marks} "
            + ", ".join(scores["failing"])
        )


if __name__ == "__main__":
    main()

"""CSV imports: every bad row named by line and column; all or nothing."""

from sqlalchemy import func, select

from frontline.extensions import db
from frontline.tables import Guest, Visit
from tests.factories import make_guest, make_user, make_zone

GUESTS = """external_id,name,tier,host_email,cuisines,interests,self_excluded
G100,Ava Walsh,gold,maya@example.test,sushi; steak,baccarat,no
G101,Ben Okafor,platinum,,italian,,yes
"""
BAD_GUESTS = """external_id,name,tier,host_email,cuisines
G200,Cara Diaz,silver,maya@example.test,
,Dan Eriksen,gold,nobody@example.test,sushi
G202,Eve Fischer,gold,,
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_guest_import(app, runner, tmp_path):
    with app.app_context():
        make_user(role="host", email="maya@example.test")
    result = runner.invoke(args=["import", "guests", write(tmp_path, "g.csv", GUESTS)])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated" in result.output
    with app.app_context():
        ava = db.session.scalar(select(Guest).where(Guest.external_id == "G100"))
        assert ava.cuisines == ["sushi", "steak"] and ava.host.email == "maya@example.test"
        assert db.session.scalar(select(Guest).where(Guest.external_id == "G101")).self_excluded


def test_bad_rows_are_all_reported_and_nothing_is_written(app, runner, tmp_path):
    with app.app_context():
        make_user(role="host", email="maya@example.test")
    result = runner.invoke(args=["import", "guests", write(tmp_path, "bad.csv", BAD_GUESTS)])
    assert result.exit_code == 1
    assert (
        "line 2, column tier: 'silver' is not one of member, gold, platinum, diamond, black"
        in result.output
    )
    assert "line 3, column external_id: a value is required" in result.output
    assert "line 3, column host_email: unknown host 'nobody@example.test'" in result.output
    assert "nothing was imported" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Guest)) == 0


def test_unknown_and_missing_columns(app, runner, tmp_path):
    result = runner.invoke(
        args=["import", "guests", write(tmp_path, "h.csv", "external_id,nmae\nG1,x\n")]
    )
    assert "line 1, column nmae: unknown column" in result.output
    assert "line 1, column name: required column is missing" in result.output


def test_visit_import(app, runner, tmp_path):
    with app.app_context():
        make_zone()
        make_guest(external_id="G7")
    text = "guest_id,visit_date,zone,spend,theo_win,rating,complaint\n"
    text += "G7,2026-10-01,main_floor,120.50,300.00,5,\n"
    text += "G7,2026-10-02,MAIN_FLOOR,80,2424.80,2,Slow service\n"
    result = runner.invoke(args=["import", "visits", write(tmp_path, "v.csv", text)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        theo = db.session.scalar(select(func.sum(Visit.theo_win)))
        assert str(theo) == "2724.80"  # exact money, no float drift


def test_visit_import_names_bad_cells(app, runner, tmp_path):
    with app.app_context():
        make_zone()
        make_guest(external_id="G7")
    text = "guest_id,visit_date,zone,spend,theo_win,rating\n"
    text += "G8,2026-13-01,attic,-5,1.234,9\n"
    result = runner.invoke(args=["import", "visits", write(tmp_path, "v.csv", text)])
    assert result.exit_code == 1
    for column in ("guest_id", "visit_date", "zone", "spend", "theo_win", "rating"):
        assert f"line 2, column {column}:" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_visit_import_refuses_out_of_range_and_unstorable_cells(app, runner, tmp_path):
    """Issue 15: a visit dated 9999-12-31 later broke scoring; a NUL breaks PostgreSQL."""
    with app.app_context():
        make_zone()
        make_guest(external_id="G7")
    text = "guest_id,visit_date,zone,spend,theo_win,complaint\n"
    text += "G7,9999-12-31,main_floor,1E+1000000,10.005,ok\n"
    text += "G7,2026-10-01,main_floor,1.00,2.00,cold\x00soup\n"
    result = runner.invoke(args=["import", "visits", write(tmp_path, "v.csv", text)])
    assert result.exit_code == 1
    assert "line 2, column visit_date: 9999-12-31 is not between 2000-01-01" in result.output
    assert "line 2, column spend: more than 12 digits" in result.output
    assert "line 2, column theo_win: at most 2 decimal places" in result.output
    assert "line 3, column complaint: contains a NUL character" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Visit)) == 0


def test_cargo_datetime_that_overflows_is_a_cell_error(app, runner, tmp_path):
    text = "number,lane,departs_at,arrives_at,capacity_kg,capacity_m3\n"
    text += "FL1,FRA-ORD,0001-01-01T00:00+05:00,2026-01-01T09:00Z,1000,10\n"
    result = runner.invoke(args=["import", "flights", write(tmp_path, "f.csv", text)])
    assert result.exit_code == 1
    assert "line 2, column departs_at: 0001-01-01T00:00:00+05:00 is not between" in result.output

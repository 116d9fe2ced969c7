"""My numbers: the host's own funnel on the phone (the scoreboard's numbers, for one person)."""

from flask_login import current_user

from ..auth import role_required
from ..scoreboard import pages
from ..tables import Role
from . import bp


@bp.get("/numbers")
@role_required(Role.HOST)
def numbers():
    return pages.my_numbers_page("host", current_user.id)

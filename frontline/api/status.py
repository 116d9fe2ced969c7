"""Who am I: lets an integration check its token before sending data."""

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields

from .auth import require_scope
from .input import Blueprint

blp = Blueprint("api_status", __name__, url_prefix="/token", description="Token check")


class TokenSchema(Schema):
    name = fields.String()
    scopes = fields.List(fields.String())


@blp.route("")
class TokenInfo(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @blp.response(200, TokenSchema)
    @require_scope(None)
    def get(self):
        """The name and scopes of the token that made this request."""
        return g.api_token

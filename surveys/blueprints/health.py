"""`/healthz` for load balancers: 200 when the database answers, 503 otherwise."""

from flask import Blueprint, jsonify

from ..maintenance import database_answers

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def show_health():
    if not database_answers():
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok")

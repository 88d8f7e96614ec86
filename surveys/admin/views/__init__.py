"""The admin area's pages, one module per page group: each reads the request, calls a
service, commits once and redirects (or renders).

`create_app` imports this package, which attaches every page's routes to `admin.bp`. No
page imports another (.importlinter): what two pages share is a service."""

from . import (
    audit,
    dashboard,
    exports,
    followups,
    home,
    jobs,
    mail,
    participation,
    people,
    responses,
    sign_in,
    surveys,
    users,
)

__all__ = [
    "audit",
    "dashboard",
    "exports",
    "followups",
    "home",
    "jobs",
    "mail",
    "participation",
    "people",
    "responses",
    "sign_in",
    "surveys",
    "users",
]

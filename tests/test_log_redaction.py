"""Personal-link tokens never reach the access logs."""

from __future__ import annotations

import logging
import threading
import urllib.request
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote

from gunicorn.config import Config as GunicornConfig
from gunicorn.glogging import Logger
from werkzeug.serving import make_server

from surveys.log_redaction import RedactTokens

TOKEN = "K9zhGYq8sv5xCv5lkQEyLXsXzHv_BniAGXivtvwclUQ"


def record(msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, msg, args, None)


def test_tokens_in_request_lines_are_replaced():
    # werkzeug logs '%s - - [%s] %s %s %s' with the request line as an argument.
    line = record(
        '%s - - [%s] "%s" %s %s', "127.0.0.1", "now", f"GET /f/{TOKEN}?page=2 HTTP/1.1", "200", "-"
    )
    RedactTokens().filter(line)
    assert TOKEN not in line.getMessage()
    assert "GET /f/<token>?page=2" in line.getMessage()
    opt_out = record(f"POST /f/{TOKEN}/opt-out")
    RedactTokens().filter(opt_out)
    assert opt_out.getMessage() == "POST /f/<token>/opt-out"


def test_the_app_installs_the_filter_on_the_access_loggers(app, client, caplog):
    assert any(isinstance(f, RedactTokens) for f in logging.getLogger("werkzeug").filters)
    assert any(isinstance(f, RedactTokens) for f in logging.getLogger("gunicorn.access").filters)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('"%s" %s %s', f"GET /f/{TOKEN} HTTP/1.1", 404, "-")
    assert TOKEN not in caplog.text and "/f/<token>" in caplog.text


def test_gunicorn_access_records_keep_their_mapping():
    line = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, '"%(r)s" %(s)s', None, None
    )
    line.args = {"r": f"GET /f/{TOKEN} HTTP/1.1", "s": "200"}
    RedactTokens().filter(line)
    assert line.getMessage() == '"GET /f/<token> HTTP/1.1" 200'


# --- the participant search (`q`) --------------------------------------------------------

SEARCHED = "jane.doe@example.org"


def test_searches_never_reach_the_development_servers_log(app, caplog):
    """A real werkzeug server answers a search, and the sign-in redirect it leads to."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    query = f"programme=gsoc&q={quote(SEARCHED)}%20Doe%22x&page=2"
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            # Signed out: 302 to /admin/login?next=<the search, encoded>, then the sign-in page.
            url = f"http://127.0.0.1:{server.port}/admin/participants?{query}"
            with urllib.request.urlopen(url) as answer:
                assert answer.status == 200
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) == 2, lines
    for line in lines:
        assert "jane" not in line and "Doe" not in line and "example.org" not in line, line
    assert "/admin/participants?programme=gsoc&q=<redacted>&page=2 HTTP/1.1" in lines[0]
    assert "/admin/login?next=" in lines[1] and "q%3D<redacted>%26page%3D2" in lines[1]


def test_searches_never_reach_gunicorns_access_log(app, tmp_path):
    """gunicorn's own logger writes its access line, with its default format and more."""
    path = tmp_path / "access.log"
    config = GunicornConfig()
    config.set("accesslog", str(path))
    # The default format, the query string alone, and a header by its usual spelling.
    config.set(
        "access_log_format",
        '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(q)s %({X-Real-IP}i)s',
    )
    # gunicorn's Logger configures the process-wide loggers; put them back afterwards.
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate)
        for name in ("gunicorn.error", "gunicorn.access")
    }
    logger = Logger(config)
    query = "programme=gsoc&q=Jane+Doe%40example.org&page=2"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/admin/participants?{query}",
        "PATH_INFO": "/admin/participants",
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "https://pathways.test/admin/participants?q=Jane&page=1",
        "HTTP_USER_AGENT": "test",
    }
    request = SimpleNamespace(headers=[("X-REAL-IP", "203.0.113.9")])
    response = SimpleNamespace(status="200 OK", headers=[], sent=1234)
    try:
        logger.access(response, request, environ, timedelta(milliseconds=5))
    finally:
        for name, (handlers, propagate) in saved.items():
            configured = logging.getLogger(name)
            for handler in configured.handlers:
                if handler not in handlers:
                    handler.close()
            configured.handlers[:] = handlers
            configured.propagate = propagate
    line = path.read_text()
    assert "Jane" not in line and "example.org" not in line, line
    assert '"GET /admin/participants?programme=gsoc&q=<redacted>&page=2 HTTP/1.1" 200' in line
    assert '"https://pathways.test/admin/participants?q=<redacted>&page=1"' in line
    assert "programme=gsoc&q=<redacted>&page=2 203.0.113.9" in line

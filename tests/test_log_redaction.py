"""Personal-link tokens never reach the access logs."""

from __future__ import annotations

import logging

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

"""`busavvik web`: the secretariat's web pages (uvicorn on the Starlette app of web/)."""
from __future__ import annotations

from typing import Any

import typer

from busavvik.console import err, fail
from config.settings import WebSettings


def uvicorn_options(web: WebSettings) -> dict[str, Any]:
    """X-Forwarded-For/-Proto believed only from web.trusted_proxies (none by default); idle keep-alive
    connections closed after 5 s; a request head over 16 KiB refused."""
    proxies = [p for p in web.trusted_proxies if p.strip()]
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) if proxies else "",
            "server_header": False, "log_level": "warning", "timeout_keep_alive": 5,
            "h11_max_incomplete_event_size": 16 * 1024,
            # log_config=None: uvicorn's loggers write through busavvik's redacting handler (busavvik/logs.py), not
            # through handlers of their own that would print a traceback's SQL parameters (issue 25 L7)
            "log_config": None}


def web_cmd(ctx: typer.Context,
            host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (put a TLS proxy in front)."),
            port: int = typer.Option(8080, "--port", help="Port to listen on.")) -> None:
    """Serve the web pages: case list, case page, review, report and operations (log in with `user add`)."""
    import uvicorn

    from web.app import create_app
    from web.auth import SecretError

    app_ctx = ctx.obj
    if not app_ctx.settings.web.base_url.startswith("https://") and host not in ("127.0.0.1", "localhost", "::1"):
        err.print("varning: web.base_url är inte https – lägg sidorna bakom en TLS-proxy", style="yellow")
    try:
        application = create_app(app_ctx.db, app_ctx.settings, app_ctx.rules)
    except SecretError as exc:
        fail(str(exc))
    uvicorn.run(application, host=host, port=port, **uvicorn_options(app_ctx.settings.web))


def register(app: typer.Typer) -> None:
    app.command("web")(web_cmd)

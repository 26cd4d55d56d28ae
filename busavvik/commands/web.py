"""`busavvik web`: the secretariat's web pages (uvicorn on the Starlette app of web/)."""
from __future__ import annotations

import typer

from busavvik.console import err


def web_cmd(ctx: typer.Context,
            host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (put a TLS proxy in front)."),
            port: int = typer.Option(8080, "--port", help="Port to listen on.")) -> None:
    """Serve the web pages: case list, case page, review, report and operations (log in with `user add`)."""
    import uvicorn

    from web.app import create_app

    app_ctx = ctx.obj
    if not app_ctx.settings.web.base_url.startswith("https://") and host not in ("127.0.0.1", "localhost", "::1"):
        err.print("varning: web.base_url är inte https – lägg sidorna bakom en TLS-proxy", style="yellow")
    application = create_app(app_ctx.db, app_ctx.settings, app_ctx.rules)
    # log_config=None: uvicorn's loggers write through busavvik's redacting handler (busavvik/logs.py), not
    # through handlers of their own that would print a traceback's SQL parameters (issue 25 L7)
    uvicorn.run(application, host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                server_header=False, log_level="warning", log_config=None)


def register(app: typer.Typer) -> None:
    app.command("web")(web_cmd)

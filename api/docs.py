"""Offline API documentation: ``/docs`` (Swagger UI) and ``/redoc`` served from the package.

FastAPI's own ``/docs`` and ``/redoc`` pages load their scripts, styles, favicon and (ReDoc)
Google fonts from CDNs, so they stay blank without a network. :func:`install` switches those
off and serves the same pages with the pinned copies in ``api/static/`` (``swagger-ui-dist``
5.35.0, Apache-2.0; ``redoc`` 2.5.4, MIT; licences and provenance in ``api/static/README.md``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
STATIC_URL = "/static-docs"
SWAGGER_UI_VERSION = "5.35.0"
REDOC_VERSION = "2.5.4"


def install(app: FastAPI) -> None:
    """Serve ``/docs``, ``/docs/oauth2-redirect`` and ``/redoc`` from the vendored assets.

    ``app`` must be created with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages off).
    """
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="static-docs")
    title = app.title
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} – Swagger UI",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{STATIC_URL}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/swagger-ui/favicon-32x32.png",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} – ReDoc",
            redoc_js_url=f"{STATIC_URL}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC_URL}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )

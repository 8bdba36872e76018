"""The vendored vis-network (``assets/``, MIT/Apache-2.0) inlined into pages, and the offline check."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
VIS_JS = ASSETS / "vis-network.min.js"
VIS_CSS = ASSETS / "vis-network.min.css"
VIS_VERSION = "9.1.9"


@cache
def vis_js() -> str:
    """vis-network's script, safe to put inside ``<script>`` (no source-map link)."""
    text = VIS_JS.read_text(encoding="utf-8")
    return re.sub(r"//# sourceMappingURL=\S*\s*$", "", text).replace("</script", "<\\/script")


@cache
def vis_css() -> str:
    """vis-network's stylesheet, safe to put inside ``<style>``."""
    text = VIS_CSS.read_text(encoding="utf-8")
    return re.sub(r"/\*# sourceMappingURL=\S*\s*\*/\s*$", "", text).replace("</style", "<\\/style")


#: What :func:`remote_references` looks for: any script, stylesheet or CSS import from the web.
REMOTE_REFERENCE = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|@import\s+(?:url\()?\s*[\"']?\s*(?:https?:)?//"
    r"|url\(\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)


def remote_references(page: str) -> list[str]:
    """Every place where ``page`` would load a script or stylesheet from the web (empty when offline)."""
    return [page[m.start() : m.start() + 120] for m in REMOTE_REFERENCE.finditer(page)]

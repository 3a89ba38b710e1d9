"""opdc: bilingual news articles kept as files, and everything made from them.

A script uses the library directly::

    from opdc_cli import Site

    site = Site.open("path/to/site")
    for article in site.articles():
        print(article.id, article.title("th"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from opdc_cli.content import Query, Site

__all__ = ["Query", "Site", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import opdc_cli` (and `opdc --help`) stays cheap.
    if name in ("Site", "Query"):
        from opdc_cli import content

        return getattr(content, name)
    raise AttributeError(name)

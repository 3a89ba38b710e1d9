"""The static news site: article pages, index pages, photos and feeds, written incrementally.

`export_site(site, out)` writes a folder a web server can serve as it is:

    index.html                    the primary language's home page
    th/index.html, th/page/2.html the newest articles first, paged
    th/category/<key>/index.html  the same per category (…/page/2.html)
    th/news/26461.html            an article (26461-2.html: its gallery's page 2)
    media/26461/…                 the web sizes, thumbnails and attachments
    feeds/th/rss.xml, …           every feed (opdc_cli.feed.write_feeds, as feed --all)
    static/style.css              the style sheet (print rules included)

The flow, one module each:

    plan.py      what to build: which articles changed (the content index's rules),
                 which are live, which index pages and feeds can have changed
    render.py    pages from articles, through Jinja2 templates given a typed
                 context (context.py)
    work.py      one article: the publication gate, its pages, its photos (in
                 worker processes when there are many)
    write.py     every write and removal, through owned.Output
    manifest.py  the export's state in the site's .opdc/exports/<key>/
    run.py       one export, step by step

Only what the publication gate (opdc_cli.publish) lets through is written, and
nothing else: the export's own state lives in the site's `.opdc/`, never in the
output. Articles are read through the site (`Site.articles`, from the content
index), and an article is rendered again only when the index's rules say its
files changed, its media folder changed, or its publication time came.

The manifest is also the record of what opdc wrote: every file with its
fingerprint (a hash of its bytes, or the size and time of a linked photo). A file
in the output that opdc did not write, or that was changed since, is never
replaced or deleted (without `force`); an output folder that opdc has no record
of must be empty, and every path read back from the record must stay inside it.
"""

from opdc_cli.export.site.manifest import MANIFEST, state_folder
from opdc_cli.export.site.run import check_output, export_site
from opdc_cli.export.site.write import ExportReport, Progress

__all__ = ["MANIFEST", "ExportReport", "Progress", "check_output", "export_site", "state_folder"]

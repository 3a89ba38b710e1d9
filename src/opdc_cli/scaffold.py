"""`opdc init`: the files of a new site."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.fsutil import create_exclusive
from opdc_cli.site import SITE_FILE, is_http_url

SITE_TEMPLATE = """\
# site.toml: the settings of an opdc site. `opdc validate` checks this file.
# Every key below is optional except languages, name and categories.

# The site's languages; the first is the primary one (articles must have it).
languages = ["th", "en"]
# Dates are shown and entered in this time zone.
timezone = "Asia/Bangkok"
# Article pages and feeds link under this address.
base_url = {base_url}
# The first id opdc new-article gives out (then the largest id + 1).
first_id = 1
# How opdc new-article stores articles: "toml" (one file) or "txt" (one per language).
article_format = "toml"

[name]
th = {name_th}
en = {name_en}

[description]
th = {description_th}
en = {description_en}

# The credit line new articles get unless --credit is given.
[credit]
th = "กลุ่มประชาสัมพันธ์ / จัดทำ"
en = "Public Relations Group"

# Categories: the key is what articles use, the names are what readers see.
[categories.headline]
th = "ข่าวเด่น"
en = "Headline news"

[categories.activities]
th = "ข่าวกิจกรรม"
en = "Activities"

[categories.announcements]
th = "ประกาศ"
en = "Announcements"

# Photos: web and thumbnail widths (never enlarged), JPEG quality, limits for uploads.
[media]
resize_width = 1024
thumb_width = 320
quality = 85
max_pixels = 89478485
max_file_mb = 40
gallery_page_size = 12
# Documents opdc media add accepts (recognised by content), and their size limit.
attachment_types = ["pdf", "docx", "xlsx", "pptx", "odt", "ods"]
max_attachment_mb = 20

# Feeds: items per feed, length of the excerpt when an article has no summary,
# and a logo (a path under media/) shown by feed readers.
[feed]
limit = 20
excerpt_length = 280
logo = ""

# The static site: articles per index page, and the image a shared link shows for
# a page without a photo (a JPEG or PNG in the site folder, e.g. "media/share.jpg").
[html]
page_size = 20
share_image = ""

# The page footer.
[footer]
phone = ""
email = ""

[footer.address]
th = ""
en = ""
"""

GITIGNORE = (
    "# opdc's index and the records of what each export wrote: safe to delete (an\n"
    "# export into a folder it has no record of then asks for --force)\n"
    ".opdc/\n"
    "# the static site, as written by: opdc export --format html -o public\n"
    "/public/\n"
)


@dataclass(frozen=True)
class Created:
    path: Path
    action: str  # "create" or "exists"


def _quote(text: str) -> str:
    # A JSON string of printable text is a valid TOML basic string.
    return json.dumps(text, ensure_ascii=False)


def _refuse_if_not_empty(folder: Path, shown: int = 3) -> None:
    if not folder.is_dir():
        return
    names = sorted(entry.name for entry in folder.iterdir())
    if not names:
        return
    listed = ", ".join(names[:shown]) + (
        f" and {len(names) - shown} more" if len(names) > shown else ""
    )
    where = "the working folder" if folder == Path() else str(folder)
    raise OpdcError(
        f"{where} is not empty ({listed}): choose an empty or new folder, "
        "or pass --force to make the site there alongside those files"
    )


def init_site(
    folder: Path,
    *,
    name_th: str = "เว็บไซต์ข่าว",
    name_en: str = "News site",
    base_url: str = "https://www.example.go.th/",
    force: bool = False,
) -> list[Created]:
    """Create a new site in `folder`: site.toml, articles/, media/ and a .gitignore.

    Refuses (OpdcError) when `folder` already has a site.toml, and, unless `force`,
    when it holds anything else: a site is not made over someone's files by accident.
    Never overwrites a file.
    """
    site_file = folder / SITE_FILE
    if not is_http_url(base_url):
        raise UsageError(
            f"--base-url: {base_url!r} must be an http(s) URL such as https://www.example.go.th/"
        )
    if site_file.exists():
        raise OpdcError(f"{site_file} exists already: this folder is a site", site_file)
    if not force:
        _refuse_if_not_empty(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = SITE_TEMPLATE.format(
        base_url=_quote(base_url),
        name_th=_quote(name_th),
        name_en=_quote(name_en),
        description_th=_quote(f"ข่าวและกิจกรรมของ{name_th}"),
        description_en=_quote(f"News and activities of the {name_en}"),
    )
    created = []
    create_exclusive(site_file, text)
    created.append(Created(site_file, "create"))
    for sub in ("articles", "media"):
        path = folder / sub
        created.append(Created(path, "exists" if path.is_dir() else "create"))
        path.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if ignore.exists():
        created.append(Created(ignore, "exists"))
    else:
        create_exclusive(ignore, GITIGNORE)
        created.append(Created(ignore, "create"))
    return created

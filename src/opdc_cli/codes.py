"""Every problem code opdc reports, with its severity and what it means.

The one table of codes: docs/validate.md's tables are tested against it
(tests/test_rules.py), and every code the source writes must be listed here.
Severity is "error", "warning" or "info", as `opdc validate` reports it.
"""

from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    severity: str
    meaning: str


CODES: dict[str, Code] = {
    # site.toml
    "OPDC001": Code("error", "an unknown key in site.toml"),
    "OPDC002": Code("error", "a site.toml key has the wrong type or value"),
    "OPDC003": Code("error", "site.toml cannot be read"),
    "OPDC004": Code("error", "the [html] share_image is missing or not a JPEG or PNG"),
    # one article file
    "OPDC100": Code("error", "the file cannot be read"),
    "OPDC101": Code("error", "TOML syntax error"),
    "OPDC102": Code("error", "not UTF-8"),
    "OPDC103": Code("error", "a text-form file's front matter is missing or not closed"),
    "OPDC104": Code("error", "the file is larger than 4 MB"),
    "OPDC110": Code("error", "a required key is missing"),
    "OPDC111": Code("error", "an unknown key"),
    "OPDC112": Code("error", "a key has the wrong type"),
    "OPDC113": Code("error", "the id does not match the file name"),
    "OPDC114": Code("error", "the category is not declared in site.toml"),
    "OPDC115": Code("error", "a date without a time zone, or a Buddhist-era year"),
    "OPDC116": Code("error", "an unknown status"),
    "OPDC117": Code("error", "a text file's language is not in site.toml"),
    "OPDC118": Code("error", "no translation in the primary language"),
    "OPDC119": Code("error", "the primary language's title or body is empty"),
    # across the site
    "OPDC120": Code("error", "two files claim the same id"),
    "OPDC121": Code("warning", "no translation in one of the other languages"),
    "OPDC122": Code("error", "text-form language files disagree"),
    "OPDC123": Code("warning", "a translation in progress (no title or no body)"),
    "OPDC124": Code("warning", "a file named almost as an article, or not a regular file"),
    # photos and attachments
    "OPDC301": Code("error", "the name leaves media/<id>/"),
    "OPDC302": Code("error", "not an image opdc accepts, or damaged"),
    "OPDC303": Code("error", "more pixels than media.max_pixels"),
    "OPDC304": Code("error", "larger than media.max_file_mb"),
    "OPDC305": Code("error", "the referenced file does not exist"),
    "OPDC306": Code("error", "a photo without alt text in the primary language"),
    "OPDC307": Code("warning", "a photo without alt text in another language"),
    "OPDC308": Code("warning", "the web size or thumbnail is missing or out of date"),
    "OPDC309": Code("warning", "a file or folder in media/ that no article lists"),
    "OPDC310": Code("warning", "a PDF without a text layer (scanned)"),
    "OPDC311": Code("warning", "an attachment without a title in one of the article's languages"),
    "OPDC312": Code("warning", "an attachment over media.max_attachment_mb"),
    "OPDC313": Code("error", "an attachment whose content is not what its name says"),
    # text
    "OPDC401": Code("error", "a character XML forbids, or a C1 control character"),
    "OPDC402": Code("warning", "more than one blank line between paragraphs"),
    "OPDC403": Code("warning", "whitespace at the end of a body line"),
    "OPDC404": Code("warning", "a link that is not http(s)"),
    "OPDC405": Code("error", "a text longer than its field may be"),
    "OPDC406": Code("warning", "a link written wrong"),
    # dates
    "OPDC501": Code("info", "scheduled: a published article dated in the future"),
    "OPDC502": Code("error", "the event ends before it starts"),
    # the editorial workflow
    "OPDC601": Code("error", "published without the approval site.toml requires"),
    "OPDC602": Code("error", "approved by someone not among site.toml's approvers"),
    "OPDC603": Code("warning", "a translation made from an earlier primary-language text"),
    # opdc import
    "OPDC140": Code("error", "source categories site.toml does not have"),
    "OPDC141": Code("error", "the source is not a feed opdc can read"),
    # the html export
    "OPDC701": Code("error", "a site template fails to render"),
}

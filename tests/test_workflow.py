"""The editorial workflow: transitions and their refusals, the history in the file,
concurrent transitions, expiry, the freeze, opdc due around an embargo (with the
clock set by OPDC_NOW), and translations that know they are stale."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import feedparser
import pytest
from conftest import BANGKOK, MakeSite, build_article
from typer.testing import CliRunner, Result

from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.model import Article, fingerprint

USER = {"OPDC_USER": "Nok", "OPDC_NOW": "2026-03-01T09:00:00+07:00"}


def run(runner: CliRunner, *args: str | Path, env: dict[str, str] | None = None) -> Result:
    """Invoke `opdc`; an exception other than a clean exit is a bug."""
    result = runner.invoke(app, [str(a) for a in args], env={**USER, **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.stderr
    return result


def ok(runner: CliRunner, *args: str | Path, env: dict[str, str] | None = None) -> Result:
    result = run(runner, *args, env=env)
    assert result.exit_code == 0, result.stderr
    return result


def draft(article_id: int = 2001, **changes: object) -> Article:
    fields: dict[str, object] = {
        "status": "draft",
        "date": datetime(2026, 2, 20, 9, 0, tzinfo=BANGKOK),
        "photos": (),
        "event": None,
    }
    return build_article(article_id, **{**fields, **changes})


def set_workflow(root: Path, text: str) -> None:
    site_file = root / "site.toml"
    site_file.write_text(site_file.read_text("utf-8") + "\n[workflow]\n" + text, "utf-8")


def read(root: Path, article_id: int) -> Article:
    return Site.open(root, cache=False).article(article_id)


def file_of(root: Path, article_id: int) -> Path:
    return next((root / "articles").rglob(f"{article_id}.toml"))


# --- transitions ----------------------------------------------------------------------


def test_the_whole_way_from_draft_to_published_and_back(
    runner: CliRunner, make_site: MakeSite
) -> None:
    root = make_site([draft()])
    site = ("--site", root)
    steps = [
        (("submit", "2001"), "draft → review", "review"),
        (
            ("reject", "2001", "--by", "Director", "--note", "add figures"),
            "review → draft",
            "draft",
        ),
        (("submit", "2001"), "draft → review", "review"),
        (
            ("approve", "2001", "--by", "Director", "--note", "fine"),
            "review → approved",
            "approved",
        ),
        (("publish", "2001"), "approved → published", "published"),
        (("unpublish", "2001", "--note", "wrong date"), "published → draft", "draft"),
    ]
    for args, line, status in steps:
        result = ok(runner, *args, *site)
        assert line in result.stderr
        assert read(root, 2001).status == status
    history = read(root, 2001).history
    assert [e.action for e in history] == [
        "submit",
        "reject",
        "submit",
        "approve",
        "publish",
        "unpublish",
    ]
    assert history[1].by == "Director" and history[1].note == "add figures"
    assert history[0].by == "Nok"  # from OPDC_USER
    assert history[0].at == datetime(2026, 3, 1, 9, 0, tzinfo=BANGKOK)  # from OPDC_NOW


@pytest.mark.parametrize(
    ("status", "args", "words"),
    [
        ("review", ("submit",), "is in review: cannot submit it; allowed next: approve, reject"),
        ("draft", ("approve", "--by", "D"), "is a draft: cannot approve it; allowed next: submit"),
        ("draft", ("unpublish", "--note", "x"), "allowed next: submit, publish"),
        ("published", ("submit",), "is published: cannot submit it; allowed next: unpublish"),
        ("published", ("publish",), "allowed next: unpublish"),
        ("approved", ("submit",), "allowed next: approve, publish, reject"),
    ],
)
def test_an_illegal_transition_names_the_state_and_what_is_allowed(
    runner: CliRunner, make_site: MakeSite, status: str, args: tuple[str, ...], words: str
) -> None:
    root = make_site([draft(status=status)])
    before = file_of(root, 2001).read_bytes()
    result = run(runner, args[0], "2001", *args[1:], "--site", root)
    assert result.exit_code == 1
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert file_of(root, 2001).read_bytes() == before


def test_with_approval_required_publishing_an_unapproved_article_is_refused(
    runner: CliRunner, make_site: MakeSite
) -> None:
    root = make_site([draft(status="review")])
    set_workflow(root, "require_approval = true\n")
    result = run(runner, "publish", "2001", "--site", root)
    assert result.exit_code == 1
    assert "not approved (status review)" in result.stderr
    assert "opdc approve 2001 --by NAME" in result.stderr
    ok(runner, "approve", "2001", "--by", "Director", "--site", root)
    ok(runner, "publish", "2001", "--site", root)
    assert read(root, 2001).status == "published"
    # "approved" typed by hand, without an approval in the history, does not count.
    root = make_site([draft(2002, status="approved")], folder=root.parent / "other")
    set_workflow(root, "require_approval = true\n")
    result = run(runner, "publish", "2002", "--site", root)
    assert result.exit_code == 1
    assert "not approved (status approved, but no approval in its history)" in result.stderr


def test_only_the_named_approvers_may_approve(runner: CliRunner, make_site: MakeSite) -> None:
    root = make_site([draft(status="review")])
    set_workflow(root, 'approvers = ["Director"]\n')
    result = run(runner, "approve", "2001", "--by", "Intern", "--site", root)
    assert result.exit_code == 1
    assert "'Intern' is not among site.toml's [workflow] approvers (Director)" in result.stderr
    ok(runner, "approve", "2001", "--by", "Director", "--site", root)


def test_reject_needs_a_note_and_approve_a_name(runner: CliRunner, make_site: MakeSite) -> None:
    root = make_site([draft(status="review")])
    assert run(runner, "reject", "2001", "--by", "D", "--site", root).exit_code == 2
    assert run(runner, "approve", "2001", "--site", root).exit_code == 2
    assert run(runner, "submit", "9999", "--site", root).exit_code == 1


def test_publish_at_a_future_date_schedules(runner: CliRunner, make_site: MakeSite) -> None:
    root = make_site([draft()])
    result = ok(runner, "publish", "2001", "--at", "2026-03-02 10:00", "--site", root)
    assert "draft → published (scheduled for 2026-03-02T10:00:00+07:00)" in result.stderr
    article = read(root, 2001)
    assert article.date == datetime(2026, 3, 2, 10, 0, tzinfo=BANGKOK)
    listed = json.loads(ok(runner, "list", "--format", "json", "--site", root).stdout)
    assert [(a["status"], a["state"]) for a in listed] == [("published", "scheduled")]


def test_list_status_shows_the_new_states(runner: CliRunner, make_site: MakeSite) -> None:
    root = make_site(
        [
            draft(2001, status="review"),
            draft(2002, status="approved"),
            draft(2003),
            draft(2004, status="published", expires=datetime(2026, 2, 28, tzinfo=BANGKOK)),
        ]
    )
    for cache in ((), ("--no-cache",)):
        for state, ids in (("review", "2001"), ("approved", "2002"), ("expired", "2004")):
            result = ok(
                runner, *cache, "list", "--status", state, "--format", "ids", "--site", root
            )
            assert result.stdout.split() == [ids], (cache, state)
    table = ok(runner, "list", "--site", root).stdout
    assert "review" in table and "approved" in table and "expired" in table
    assert run(runner, "list", "--status", "withdrawn", "--site", root).exit_code == 2


# --- the history in the file ------------------------------------------------------------


def test_history_entries_keep_a_persons_comments_and_layout(
    runner: CliRunner, make_site: MakeSite
) -> None:
    root = make_site([draft()])
    path = file_of(root, 2001)
    text = path.read_text("utf-8")
    text = "# Checked by the desk on Monday\n" + text.replace(
        'status = "draft"', 'status = "draft"   # not yet'
    )
    text = text.replace("[th]\n", "[th]\n# The Thai text is final\n")
    path.write_text(text, "utf-8")
    ok(runner, "submit", "2001", "--note", "ready", "--site", root)
    ok(runner, "approve", "2001", "--by", "Director", "--site", root)
    after = path.read_text("utf-8")
    assert after.startswith("# Checked by the desk on Monday\n")
    assert 'status = "approved"   # not yet' in after
    assert "[th]\n# The Thai text is final\n" in after
    # Everything before the first history entry is the file as written, but the status.
    head = after.split("[[history]]")[0].rstrip("\n")
    assert head == text.replace('"draft"', '"approved"').rstrip("\n")
    assert after.count("[[history]]") == 2
    history = json.loads(ok(runner, "history", "2001", "--format", "json", "--site", root).stdout)
    assert [h["action"] for h in history] == ["approve", "submit"]  # newest first
    assert history[1]["note"] == "ready"


def test_the_text_form_keeps_its_history_in_the_primary_file(
    runner: CliRunner, make_site: MakeSite
) -> None:
    root = make_site([draft()], form="txt")
    th = next((root / "articles").rglob("2001.th.txt"))
    en = next((root / "articles").rglob("2001.en.txt"))
    body_th = th.read_text("utf-8").split("+++", 2)[2]
    ok(runner, "submit", "2001", "--site", root)
    assert "[[history]]" in th.read_text("utf-8")
    assert "[[history]]" not in en.read_text("utf-8")
    assert th.read_text("utf-8").split("+++", 2)[2] == body_th
    assert 'status = "review"' in en.read_text("utf-8")
    result = ok(runner, "validate", "--site", root)
    assert "OPDC122" not in result.stdout


def test_twenty_simultaneous_transitions_lose_no_entry(make_site: MakeSite, opdc_exe: Path) -> None:
    root = make_site([draft(status="approved")])
    env = {k: v for k, v in os.environ.items() if k != "OPDC_SITE"}
    env["OPDC_NOW"] = USER["OPDC_NOW"]
    processes = [
        subprocess.Popen(
            [opdc_exe, "--site", root, "approve", "2001", "--by", f"Approver {n}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in range(20)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    names = sorted(e.by for e in read(root, 2001).history)
    assert names == sorted(f"Approver {n}" for n in range(20))


# --- validate -------------------------------------------------------------------------


def test_validate_reports_a_published_article_without_approval(
    runner: CliRunner, make_site: MakeSite
) -> None:
    root = make_site([draft(status="published")], photos=False)
    ok(runner, "validate", "--site", root)
    set_workflow(root, "require_approval = true\n")
    result = run(runner, "validate", "--site", root)
    assert result.exit_code == 1
    assert "OPDC601" in result.stdout
    # The gate: no feed entry, the export names it and exits 1.
    feed = run(runner, "feed", "--site", root)
    assert feed.exit_code == 1 and "OPDC601" in feed.stderr
    assert not feedparser.parse(feed.stdout).entries


def test_existing_sites_keep_their_meaning(runner: CliRunner, make_site: MakeSite) -> None:
    root = make_site()
    feed = feedparser.parse(ok(runner, "feed", "--site", root).stdout)
    assert len(feed.entries) == 2  # 1001 and 1003; 1002 is a draft


def test_a_bad_workflow_table_is_named(runner: CliRunner, make_site: MakeSite) -> None:
    root = make_site([draft()])
    set_workflow(
        root, 'require_approval = "yes"\nfreeze = { from = 2026-03-05, until = 2026-03-01 }\n'
    )
    result = run(runner, "list", "--site", root)
    assert result.exit_code == 1
    assert "'workflow.freeze.until' must come after 'from' (and 1 more" in result.stderr
    checked = run(runner, "validate", "--site", root)
    assert "'workflow.require_approval' must be true or false" in checked.stdout


def test_a_bad_clock_is_one_line(runner: CliRunner, make_site: MakeSite) -> None:
    root = make_site([draft()])
    result = run(runner, "list", "--site", root, env={"OPDC_NOW": "tomorrow"})
    assert result.exit_code == 1
    assert "OPDC_NOW='tomorrow' is not a date and time with its offset" in result.stderr


# --- expiry ----------------------------------------------------------------------------


def live(article_id: int, **changes: object) -> Article:
    return draft(article_id, status="published", **changes)


def test_an_expired_article_leaves_the_feed_and_the_site(
    runner: CliRunner, make_site: MakeSite, tmp_path: Path
) -> None:
    expires = datetime(2026, 3, 1, 12, 0, tzinfo=BANGKOK)
    root = make_site([live(2001, expires=expires), live(2002)])
    before = {"OPDC_NOW": "2026-03-01T11:00:00+07:00"}
    after = {"OPDC_NOW": "2026-03-01T13:00:00+07:00"}

    def feed_ids(env: dict[str, str]) -> list[str]:
        entries = feedparser.parse(ok(runner, "feed", "--site", root, env=env).stdout).entries
        return sorted(e.link.rstrip("/").rsplit("/", 1)[-1] for e in entries)

    assert len(feed_ids(before)) == 2
    assert len(feed_ids(after)) == 1
    out = tmp_path / "public"
    ok(runner, "export", "--format", "html", "-o", out, "--site", root, env=before)
    pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    assert any("2001" in p for p in pages)
    ok(runner, "export", "--format", "html", "-o", out, "--site", root, env=after)
    # The page stays, as a short "withdrawn on …" page; indexes and feeds drop it.
    withdrawn = (out / "th" / "news" / "2001.html").read_text("utf-8")
    assert "ข่าวนี้ถอนออกเมื่อ" in withdrawn and "1 มีนาคม 2569" in withdrawn
    assert '<div class="body">' not in withdrawn
    english = (out / "en" / "news" / "2001.html").read_text("utf-8")
    assert 'withdrawn on <time datetime="2026-03-01T12:00:00+07:00">1 March 2026' in english
    for index in (out / "th" / "index.html", out / "en" / "index.html"):
        assert "2001.html" not in index.read_text("utf-8")
        assert "2002.html" in index.read_text("utf-8")
    rss = (out / "feeds" / "th" / "rss.xml").read_bytes()
    assert len(feedparser.parse(rss).entries) == 1
    # A re-export keeps it; an unpublished article gets one too.
    ok(runner, "unpublish", "2002", "--note", "error", "--site", root, env=after)
    ok(runner, "export", "--format", "html", "-o", out, "--site", root, env=after)
    assert "ข่าวนี้ถอนออกเมื่อ" in (out / "th" / "news" / "2001.html").read_text("utf-8")
    assert "ข่าวนี้ถอนออกเมื่อ" in (out / "th" / "news" / "2002.html").read_text("utf-8")


# --- due, around an embargo ------------------------------------------------------------


def due(runner: CliRunner, root: Path, now: str, *args: str) -> Result:
    return run(runner, "due", "--site", root, *args, env={"OPDC_NOW": now})


def test_due_and_check_around_an_embargo(
    runner: CliRunner, make_site: MakeSite, tmp_path: Path
) -> None:
    root = make_site([live(2001), draft(2002)])
    ok(runner, "publish", "2002", "--at", "2026-03-01 12:00", "--site", root)
    # Never exported: out of date.
    assert due(runner, root, "2026-03-01T10:00:00+07:00", "--check").exit_code == 1
    out = tmp_path / "public"
    env = {"OPDC_NOW": "2026-03-01T10:00:00+07:00"}
    ok(runner, "export", "--format", "html", "-o", out, "--site", root, env=env)

    before = due(runner, root, "2026-03-01T11:00:00+07:00", "--format", "json")
    report = json.loads(before.stdout)
    assert [(e["id"], e["event"]) for e in report["coming"]] == [(2002, "live")]
    assert report["done"] == [] and report["out_of_date"] is False
    assert report["last_export"] == "2026-03-01T10:00:00+07:00"
    assert due(runner, root, "2026-03-01T11:59:59+07:00", "--check").exit_code == 0
    # Outside the window: not listed.
    short = due(runner, root, "2026-03-01T11:00:00+07:00", "--within", "30m", "--format", "json")
    assert json.loads(short.stdout)["coming"] == []

    after = due(runner, root, "2026-03-01T12:00:01+07:00", "--check", "--format", "json")
    assert after.exit_code == 1
    assert [(e["id"], e["event"]) for e in json.loads(after.stdout)["done"]] == [(2002, "live")]
    # The cron job: export, then nothing is due.
    env = {"OPDC_NOW": "2026-03-01T12:00:01+07:00"}
    ok(runner, "export", "--format", "html", "-o", out, "--site", root, env=env)
    assert due(runner, root, "2026-03-01T12:05:00+07:00", "--check").exit_code == 0
    assert (out / "th" / "news").exists()


def test_due_sees_a_withdrawal_and_an_expiry(
    runner: CliRunner, make_site: MakeSite, tmp_path: Path
) -> None:
    expires = datetime(2026, 3, 1, 15, 0, tzinfo=BANGKOK)
    root = make_site([live(2001), live(2002, expires=expires)])
    env = {"OPDC_NOW": "2026-03-01T10:00:00+07:00"}
    ok(runner, "export", "--format", "html", "-o", tmp_path / "public", "--site", root, env=env)
    ok(
        runner,
        "unpublish",
        "2001",
        "--note",
        "wrong figures",
        "--site",
        root,
        env=env | {"OPDC_NOW": "2026-03-01T11:00:00+07:00"},
    )
    report = json.loads(due(runner, root, "2026-03-01T16:00:00+07:00", "--format", "json").stdout)
    assert [(e["id"], e["event"], e["note"]) for e in report["done"]] == [
        (2001, "withdrawn", "wrong figures"),
        (2002, "expires", ""),
    ]
    table = due(runner, root, "2026-03-01T16:00:00+07:00")
    assert "out of date" in table.stderr


def test_a_bad_duration_is_a_usage_error(runner: CliRunner, make_site: MakeSite) -> None:
    root = make_site([draft()])
    result = due(runner, root, "2026-03-01T10:00:00+07:00", "--within", "soon")
    assert result.exit_code == 2
    assert "not a duration such as 30m, 24h, 2d or 1w" in result.stderr


# --- the freeze ------------------------------------------------------------------------


def test_during_a_freeze_nothing_new_goes_live(
    runner: CliRunner, make_site: MakeSite, tmp_path: Path
) -> None:
    old = live(2001, date=datetime(2026, 2, 1, 9, 0, tzinfo=BANGKOK))
    new = live(2002, date=datetime(2026, 3, 2, 9, 0, tzinfo=BANGKOK))
    root = make_site([old, new])
    set_workflow(root, 'freeze = { from = 2026-03-01, until = 2026-03-10, reason = "election" }\n')
    during = {"OPDC_NOW": "2026-03-05T09:00:00+07:00"}
    feed = run(runner, "feed", "--site", root, env=during)
    assert feed.exit_code == 0
    assert len(feedparser.parse(feed.stdout).entries) == 1
    assert "publishing freeze (election)" in feed.stderr
    out = tmp_path / "public"
    result = ok(runner, "export", "--format", "html", "-o", out, "--site", root, env=during)
    assert "publishing freeze (election) until 2026-03-10T00:00:00+07:00: 1 article(s)" in (
        result.stderr
    )
    pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    assert any("2001" in p for p in pages) and not any("2002" in p for p in pages)
    # Publishing an old-dated draft during the freeze does not make it live either.
    ok(runner, "unpublish", "2001", "--note", "typo", "--site", root, env=during)
    ok(runner, "publish", "2001", "--site", root, env=during)
    assert len(feedparser.parse(ok(runner, "feed", "--site", root, env=during).stdout).entries) == 0
    report = json.loads(due(runner, root, "2026-03-05T10:00:00+07:00", "--format", "json").stdout)
    assert report["freeze"] == {
        "from": "2026-03-01T00:00:00+07:00",
        "until": "2026-03-10T00:00:00+07:00",
        "reason": "election",
        "holds": True,
    }
    ends = json.loads(due(runner, root, "2026-03-09T12:00:00+07:00", "--format", "json").stdout)
    assert {(e["id"], e["at"]) for e in ends["coming"]} == {
        (2001, "2026-03-10T00:00:00+07:00"),
        (2002, "2026-03-10T00:00:00+07:00"),
    }
    after = {"OPDC_NOW": "2026-03-10T00:00:01+07:00"}
    assert len(feedparser.parse(ok(runner, "feed", "--site", root, env=after).stdout).entries) == 2


# --- translations that know they are stale ---------------------------------------------


def test_a_thai_edit_makes_the_english_translation_stale(
    runner: CliRunner, make_site: MakeSite
) -> None:
    root = make_site([live(2001)], photos=False)
    ok(runner, "translated", "2001", "--lang", "en", "--site", root)
    assert (
        ok(runner, "list", "--stale-translation", "en", "--format", "ids", "--site", root).stdout
        == ""
    )
    assert "OPDC603" not in run(runner, "validate", "--site", root).stdout
    path = file_of(root, 2001)
    text = path.read_text("utf-8")
    th = read(root, 2001).translations["th"]
    second = th.paragraphs[1]
    path.write_text(text.replace(second, second + " เพิ่มเติม"), "utf-8")

    result = run(runner, "validate", "--site", root)
    assert "OPDC603" in result.stdout
    assert "opdc translated 2001 --lang en" in result.stdout
    listed = ok(runner, "list", "--stale-translation", "en", "--format", "ids", "--site", root)
    assert listed.stdout.split() == ["2001"]
    diff = ok(runner, "show", "2001", "--translation-diff", "--site", root).stdout
    assert "changed: paragraph 2:" in diff and "เพิ่มเติม" in diff
    assert "paragraph 1" not in diff and "title" not in diff
    ok(runner, "translated", "2001", "--lang", "en", "--site", root)
    assert "OPDC603" not in run(runner, "validate", "--site", root).stdout
    assert "up to date" in ok(runner, "show", "2001", "--translation-diff", "--site", root).stdout


def test_translated_refuses_the_primary_language(runner: CliRunner, make_site: MakeSite) -> None:
    root = make_site([live(2001)], photos=False)
    result = run(runner, "translated", "2001", "--lang", "th", "--site", root)
    assert result.exit_code == 1
    assert "primary language" in result.stderr


def test_an_article_made_in_both_languages_starts_translated(
    runner: CliRunner, make_site: MakeSite
) -> None:
    root = make_site([])
    ok(
        runner,
        "new-article",
        "--no-input",
        "--category",
        "headline",
        "--title",
        "ข่าวทดสอบ",
        "--title-en",
        "A test",
        "--body",
        "ย่อหน้าแรก",
        "--body-en",
        "First paragraph",
        "--site",
        root,
    )
    article = Site.open(root, cache=False).articles()[0]
    assert article.translations["en"].translated_from == fingerprint(article.translations["th"])
    assert not article.stale_translation("en")


def test_a_stale_fingerprint_reads_back_through_both_forms(
    make_site: MakeSite, tmp_path: Path
) -> None:
    from opdc_cli import store
    from opdc_cli.site import load_config

    article = live(2001)
    old = replace(article.translations["th"], body="ข้อความเดิม")
    en = replace(article.translations["en"], translated_from=fingerprint(old))
    article = replace(article, translations={**article.translations, "en": en})
    for form in ("toml", "txt"):
        root = make_site([article], form=form, folder=tmp_path / form)
        config = load_config(root / "site.toml")
        again = Site.open(root, cache=False).article(2001)
        assert again.translations["en"].translated_from == fingerprint(old)
        assert again.stale_translation("en")
        assert store.render(again, form, config.languages)

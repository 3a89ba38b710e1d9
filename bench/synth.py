"""Generate a synthetic opdc site of N bilingual articles for benchmarks.

    python bench/synth.py /tmp/site10k --articles 10000 [--media] [--seed 1]

Thai and English bodies of several kB (about 12 kB per article file), 3 to 8
photo references each, dates spread over 20 years, three categories, one
article in ten in the text form, one in twenty a draft. With --media every
referenced photo gets a small real JPEG original, web size and thumbnail (and the
first photo a share image), so
checks that open files do real work. The same seed gives the same site.
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from opdc_cli import store
from opdc_cli.gallery import made_names
from opdc_cli.model import Article, Event, Photo, Translation
from opdc_cli.scaffold import init_site

TH_WORDS = (
    "สำนักงาน ก.พ.ร. การประชุม ส่วนราชการ นวัตกรรม ภาครัฐ ประชาชน การพัฒนา ระบบราชการ "
    "ยุทธศาสตร์ ความร่วมมือ หน่วยงาน การบริการ ประสิทธิภาพ ธรรมาภิบาล การปฏิรูป เครือข่าย "
    "ผู้บริหาร การประเมิน มาตรฐาน ศูนย์ราชการสะดวก ดิจิทัล ข้อมูล นโยบาย การมีส่วนร่วม "
    "แลกเปลี่ยน ประสบการณ์ แนวทาง กิจกรรม โครงการ ห้องปฏิบัติการ การคิดเชิงออกแบบ ต่างประเทศ "
    "ภูมิภาค อาเซียน คุณภาพ การให้บริการ ความโปร่งใส ผลสัมฤทธิ์ องค์การ ข้าราชการ ท้องถิ่น"
).split()
TH_GLUE = "และ ของ ใน เพื่อ โดย กับ ได้ จึง ซึ่ง ที่ ให้ มี จะ ว่า ตาม ร่วมกับ อย่าง".split()
EN_WORDS = (
    "office public sector development commission meeting agencies innovation government "
    "citizens services efficiency governance reform network executives assessment standard "
    "digital data policy participation exchange experience guidelines activity project lab "
    "design thinking international region quality transparency results organisation officials"
).split()
EN_GLUE = "and of in for by with to the a that which will as on at from".split()
CATEGORIES = ("headline", "activities", "announcements")
BANGKOK = timezone(timedelta(hours=7))


def _sentence(
    rng: random.Random, words: tuple[str, ...] | list[str], glue: list[str], sep: str
) -> str:
    parts = []
    for _ in range(rng.randint(8, 18)):
        parts.append(rng.choice(words))
        if rng.random() < 0.4:
            parts.append(rng.choice(glue))
    return sep.join(parts)


def _body(rng: random.Random, thai: bool, target: int) -> str:
    paragraphs = []
    size = 0
    while size < target:
        if thai:
            text = " ".join(_sentence(rng, TH_WORDS, TH_GLUE, "") for _ in range(rng.randint(3, 6)))
        else:
            text = (
                ". ".join(
                    _sentence(rng, EN_WORDS, EN_GLUE, " ").capitalize()
                    for _ in range(rng.randint(3, 6))
                )
                + "."
            )
        paragraphs.append(text)
        size += len(text.encode())
    return "\n\n".join(paragraphs)


def make_article(rng: random.Random, article_id: int, start: datetime) -> Article:
    when = start + timedelta(minutes=rng.randint(0, 20 * 365 * 24 * 60))
    photos = tuple(
        Photo(
            f"img{article_id}_{n}.jpg",
            {
                "th": _sentence(rng, TH_WORDS, TH_GLUE, "")[:80],
                "en": _sentence(rng, EN_WORDS, EN_GLUE, " ")[:80],
            },
        )
        for n in range(1, rng.randint(3, 8) + 1)
    )
    event = None
    if rng.random() < 0.3:
        day = when.date() - timedelta(days=rng.randint(0, 3))
        event = Event(
            day, day + timedelta(days=rng.randint(0, 2)), {"th": "กรุงเทพมหานคร", "en": "Bangkok"}
        )
    return Article(
        id=article_id,
        category=rng.choice(CATEGORIES),
        date=when.replace(second=0, microsecond=0),
        status="draft" if rng.random() < 0.05 else "published",
        tags=tuple(rng.sample(["GovLab", "PMQA", "GECC", "ASEAN", "Digital"], rng.randint(0, 2))),
        translations={
            "th": Translation(
                title=_sentence(rng, TH_WORDS, TH_GLUE, "")[:150],
                body=_body(rng, True, 5500),
                summary=_sentence(rng, TH_WORDS, TH_GLUE, ""),
                credit="กลุ่มวิเทศสัมพันธ์และการประชาสัมพันธ์ / จัดทำ",
            ),
            "en": Translation(
                title=_sentence(rng, EN_WORDS, EN_GLUE, " ").capitalize()[:150],
                body=_body(rng, False, 3500),
                summary=_sentence(rng, EN_WORDS, EN_GLUE, " ").capitalize(),
                credit="International Affairs and Public Relations Group",
            ),
        },
        photos=photos,
        event=event,
    )


def _tiny_jpeg() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (64, 48), (120, 150, 200)).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def generate(
    folder: Path, count: int, *, media: bool = False, seed: int = 1, first_id: int = 100000
) -> None:
    """Write a site of `count` articles into `folder` (replacing what is there)."""
    if folder.exists():
        shutil.rmtree(folder)
    init_site(
        folder,
        name_th="ไซต์ทดสอบ",
        name_en="Synthetic site",
        base_url="https://bench.example.go.th/",
    )
    rng = random.Random(seed)
    start = datetime(2006, 1, 1, 8, 0, tzinfo=BANGKOK)
    jpeg = _tiny_jpeg() if media else b""
    languages = ("th", "en")
    for index in range(count):
        article_id = first_id + index
        article = make_article(rng, article_id, start)
        sub = folder / "articles" / str(article.date.year)
        sub.mkdir(parents=True, exist_ok=True)
        form = "txt" if index % 10 == 9 else "toml"
        for name, text in store.render(article, form, languages).items():
            (sub / name).write_text(text, encoding="utf-8")
        if media:
            mdir = folder / "media" / str(article_id)
            mdir.mkdir(parents=True, exist_ok=True)
            for number, photo in enumerate(article.photos):
                # The original, then what opdc media resize makes of it (the web size,
                # the thumbnail, the first photo's share image), written after it.
                for name in (photo.file, *made_names(photo.file, first=number == 0)):
                    (mdir / name).write_bytes(jpeg)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--media", action="store_true", help="also write small real photo files")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.folder, args.articles, media=args.media, seed=args.seed)
    print(f"{args.articles} articles in {args.folder}")


if __name__ == "__main__":
    main()

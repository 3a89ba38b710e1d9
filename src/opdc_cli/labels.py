"""The words around the content, in each language (what the reference page prints)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "th": {
        "photos": "รูปภาพ",
        "total": "ทั้งหมด {count} รายการ",
        "attachments": "เอกสารแนบ",
        "event": "กิจกรรม",
        "place": "สถานที่",
        "tags": "ป้ายกำกับ",
        "home": "หน้าหลัก",
        "draft": "ฉบับร่าง",
        "scheduled": "ตั้งเวลาเผยแพร่",
        "published": "เผยแพร่แล้ว",
        "print": "พิมพ์หน้านี้",
        "print_hint": "ใช้คำสั่งพิมพ์ของเบราว์เซอร์ (Ctrl+P) หน้าที่พิมพ์จะไม่มีเมนูและส่วนท้าย",
        "breadcrumb": "ตำแหน่งของหน้านี้",
        "languages": "ภาษา",
        "menu": "เมนูหลัก",
        "pages": "หน้าอื่น",
        "contact": "ติดต่อ",
        "share": "แชร์",
        "rss": "RSS feed",
        "not_translated": "ยังไม่มีฉบับภาษาไทย",
        "not_found": "ไม่พบหน้าที่ต้องการ",
        "not_found_text": "หน้านี้อาจถูกย้ายหรือลบไปแล้ว เลือกหน้าที่ต้องการจากเมนูด้านล่าง",
        "language_name": "ภาษาไทย",
        "previous": "ก่อนหน้า",
        "next": "ถัดไป",
        "page": "หน้า",
        "news": "ข่าวทั้งหมด",
        "phone": "โทร.",
        "fax": "โทรสาร",
        "hotline": "สายด่วน",
        "email": "e-mail",
        "no_photos": "ไม่มีรูปภาพ",
        "read_more": "อ่านต่อ",
        "draft_banner": "ร่าง — ยังไม่เผยแพร่",
        "page_unit": "หน้า",
        "page_unit_one": "หน้า",
    },
    "en": {
        "photos": "Photos",
        "total": "{count} items",
        "attachments": "Attachments",
        "event": "Event",
        "place": "Place",
        "tags": "Tags",
        "home": "Home",
        "draft": "draft",
        "scheduled": "scheduled",
        "published": "published",
        "print": "Print this page",
        "print_hint": "Use your browser's Print (Ctrl+P); menus and footer are left out",
        "breadcrumb": "You are here",
        "languages": "Languages",
        "menu": "Main menu",
        "pages": "More pages",
        "contact": "Contact",
        "share": "Share",
        "rss": "RSS feed",
        "not_translated": "Not yet available in English",
        "not_found": "Page not found",
        "not_found_text": "The page may have moved or been removed. Choose a page below.",
        "language_name": "English",
        "previous": "Previous",
        "next": "Next",
        "page": "Page",
        "news": "All news",
        "phone": "Tel.",
        "fax": "Fax",
        "hotline": "Hotline",
        "email": "e-mail",
        "no_photos": "No photos",
        "read_more": "Read more",
        "draft_banner": "Draft — not published",
        "page_unit": "pages",
        "page_unit_one": "page",
    },
}


def label(lang: str, key: str, **values: object) -> str:
    """The label `key` in `lang` (English when the language has none), filled in."""
    table = LABELS.get(lang, LABELS["en"])
    return table.get(key, LABELS["en"][key]).format(**values)


def total_line(lang: str, count: int, page: int = 1, pages: int = 1) -> str:
    """The gallery's count and paging line: "ทั้งหมด 8 รายการ 1 / 1"."""
    return f"{label(lang, 'total', count=count)} {page} / {pages}"

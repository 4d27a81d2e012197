"""Makes the web UI's Korean font: subsets of NanumGothic (regular, bold) as WOFF2.

Run once, from the repository root, after `apt-get install fonts-nanum` (WOFF2 needs brotli,
which the workspace does not otherwise use, so it comes in only for this run):

    uv run --no-project --with fonttools --with brotli \
        python gateway/scripts/make_web_font.py [--common-hangul]

The SIL Open Font License reserves the name "NanumGothic" for the original, so the subset is
renamed ("TFT Gothic"); the license text is copied next to the files.
"""

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SOURCE = Path("/usr/share/fonts/truetype/nanum")
LICENSE = Path("/usr/share/doc/fonts-nanum/copyright")
TARGET = Path(__file__).resolve().parents[1] / "src" / "gateway" / "web" / "fonts"
FAMILY = "TFT Gothic"
FACES = {"Regular": "NanumGothic.ttf", "Bold": "NanumGothicBold.ttf"}


def ks_x_1001_syllables() -> list[int]:
    """The 2,350 Hangul syllables of KS X 1001 (EUC-KR rows 0xB0-0xC8), the ones most text uses."""
    found = []
    for lead in range(0xB0, 0xC9):
        for trail in range(0xA1, 0xFF):
            found.append(ord(bytes((lead, trail)).decode("euc-kr")))
    return found


def codepoints(common_only: bool) -> list[int]:
    ranges = [
        (0x0020, 0x007E),  # ASCII
        (0x00A0, 0x00FF),  # Latin-1: ©, ·, ×, accented letters in brand names
        (0x2010, 0x2027),  # dashes, quotes, bullet, ellipsis
        (0x2030, 0x203A),  # ‰, ′, ‹ ›
        (0x20A9, 0x20A9),  # ₩
        (0x2190, 0x2193),  # arrows
        (0x3000, 0x303F),  # CJK punctuation: 「」『』〈〉《》
        (0x3131, 0x318E),  # compatibility jamo: ㅋㅋ, ㅠㅠ
        (0xFF01, 0xFF5E),  # full-width forms
    ]
    points = [p for start, end in ranges for p in range(start, end + 1)]
    points += ks_x_1001_syllables() if common_only else range(0xAC00, 0xD7A4)
    return points


def rename(font: TTFont, style: str) -> None:
    """Replaces the reserved names (family, full name, PostScript name) with ours."""
    names = {
        1: FAMILY,
        2: style,
        3: f"{FAMILY} {style}; subset of NanumGothic",
        4: f"{FAMILY} {style}",
        6: f"TFTGothic-{style}",
        16: FAMILY,
        17: style,
    }
    table = font["name"]
    for record in list(table.names):
        if record.nameID in names or record.nameID in (18, 21, 22):
            table.removeNames(nameID=record.nameID)
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--common-hangul",
        action="store_true",
        help="only the 2,350 syllables of KS X 1001 (default: all 11,172)",
    )
    args = parser.parse_args()
    TARGET.mkdir(parents=True, exist_ok=True)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = (
        False  # hints are most of a TrueType CJK font's bytes; browsers barely use them
    )
    options.desubroutinize = True
    for style, filename in FACES.items():
        font = TTFont(SOURCE / filename)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codepoints(args.common_hangul))
        subsetter.subset(font)
        rename(font, style)
        out = TARGET / f"tft-gothic-{style.lower()}.woff2"
        font.flavor = "woff2"
        font.save(out)
        print(f"{out}: {out.stat().st_size:,} bytes")
    (TARGET / "OFL.txt").write_text(LICENSE.read_text(encoding="utf-8"), encoding="utf-8")


if __name__ == "__main__":
    main()

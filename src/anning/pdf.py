"""HTML → PDF with WeasyPrint, shared by the letters and the evidence report.

WeasyPrint (the ``docs`` extra) and its system libraries (Pango) are imported only when a PDF is
asked for, so ``anning check`` stays fast. Chinese text needs a CJK font installed on the machine
(``fonts-noto-cjk``: Noto Sans/Serif CJK SC); nothing is downloaded at run time. The PDF appears at
``out`` only when complete: it is written to a temporary file in the same directory and renamed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

# Families the stylesheets ask for, in order; any one of them is enough.
CJK_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "Source Han Sans SC",
                "Noto Sans Mono CJK SC")
_FONT_FILE_HINTS = ("notoserifcjk", "notosanscjk", "sourcehanserif", "sourcehansans")
_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
              "/Library/Fonts", "/System/Library/Fonts", "~/Library/Fonts", "C:/Windows/Fonts")


class PdfError(RuntimeError):
    """A PDF cannot be made here; the message says what to install or fix."""


@lru_cache(maxsize=1)
def cjk_font_available() -> bool:
    """True when a CJK font the stylesheets name is installed (fontconfig, else a look in font dirs)."""
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                                 timeout=20, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        families = {f.strip() for line in out.splitlines() for f in line.split(",")}
        if families & set(CJK_FAMILIES):
            return True
    for base in _FONT_DIRS:
        root = Path(base).expanduser()
        if not root.is_dir():
            continue
        for _dirpath, _dirs, files in os.walk(root):
            if any(h in f.lower().replace("-", "").replace("_", "") for f in files for h in _FONT_FILE_HINTS):
                return True
    return False


def _weasyprint():
    try:
        import weasyprint
    except ImportError as exc:
        raise PdfError("PDF output needs the docs extra: pip install 'anning[docs]' "
                       f"(WeasyPrint could not be imported: {exc})") from exc
    except OSError as exc:  # WeasyPrint is installed but Pango/HarfBuzz are not
        raise PdfError("PDF output needs the Pango libraries (Debian/Ubuntu: apt-get install libpango-1.0-0 "
                       f"libpangoft2-1.0-0 libharfbuzz-subset0; or run `make sysdeps`): {exc}") from exc
    return weasyprint


def html_to_pdf(html: str, out: Path, base_url: str | None = None) -> Path:
    """Render ``html`` to the PDF file ``out`` and return its path.

    ``base_url`` resolves relative links and images (e.g. chart files next to the report). Raises
    ``PdfError`` with a clear message when WeasyPrint, Pango or a CJK font is missing, or the file
    cannot be written; ``out`` is then left untouched (never half-written)."""
    out = Path(out)
    weasyprint = _weasyprint()
    if not cjk_font_available():
        raise PdfError("no Chinese (CJK) font found for the PDF; install Noto CJK "
                       "(Debian/Ubuntu: apt-get install fonts-noto-cjk; or run `make sysdeps`)")
    from anning.files import write_atomically

    return write_atomically(out, lambda tmp: weasyprint.HTML(string=html, base_url=base_url).write_pdf(str(tmp)),
                            PdfError)

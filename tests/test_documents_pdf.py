"""anning.pdf: HTML → PDF (shared by letters and the evidence report): real PDF, CJK text, atomic write."""

from __future__ import annotations

from pathlib import Path

import pytest

from anning import pdf


def test_html_to_pdf_writes_cjk_text(tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = pdf.html_to_pdf("<html><body style='font-family:\"Noto Serif CJK SC\"'><h1>安宁</h1>"
                          "<p>停止联系并删除个人信息</p></body></html>", tmp_path / "a.pdf")
    assert out == tmp_path / "a.pdf"
    text = PdfReader(str(out)).pages[0].extract_text()
    assert "安宁" in text and "停止联系并删除个人信息" in text
    assert [p.name for p in tmp_path.iterdir()] == ["a.pdf"]  # no temporary file left behind


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(pdf.PdfError, match="does not exist"):
        pdf.html_to_pdf("<p>x</p>", tmp_path / "nope" / "a.pdf")


def test_no_cjk_font_is_a_clear_error_and_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "cjk_font_available", lambda: False)
    with pytest.raises(pdf.PdfError, match="fonts-noto-cjk"):
        pdf.html_to_pdf("<p>安宁</p>", tmp_path / "a.pdf")
    assert list(tmp_path.iterdir()) == []


def test_missing_weasyprint_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "weasyprint":
            raise ImportError("No module named 'weasyprint'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(pdf.PdfError, match=r"anning\[docs\]"):
        pdf.html_to_pdf("<p>x</p>", tmp_path / "a.pdf")
    assert list(tmp_path.iterdir()) == []

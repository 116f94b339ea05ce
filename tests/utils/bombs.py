"""Hostile inputs built at run time, small on disk: a docx zip bomb and a PDF decompression bomb."""

import zipfile
import zlib
from pathlib import Path

_DOC_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
             b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
_DOC_TAIL = b"</w:body></w:document>"
_PARAGRAPH = "<w:p><w:r><w:t>对符合条件的企业给予一次性奖励。</w:t></w:r></w:p>".encode()


def docx_bomb(path: Path, unpacked_mb: int = 300) -> Path:
    """A valid .docx whose document.xml expands to ``unpacked_mb`` of paragraphs."""
    import docx

    docx.Document().save(str(path.with_suffix(".base.docx")))
    with zipfile.ZipFile(path.with_suffix(".base.docx")) as base, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in base.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info, base.read(info))
        chunk = _PARAGRAPH * (1024 * 1024 // len(_PARAGRAPH))
        with out.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(_DOC_HEAD)
            for _ in range(unpacked_mb):
                member.write(chunk)
            member.write(_DOC_TAIL)
    path.with_suffix(".base.docx").unlink()
    return path


def pdf_with_contents(path: Path, contents: bytes, repeat: int = 1) -> Path:
    """A one-page PDF whose content stream is ``contents`` × ``repeat``, Flate-compressed."""
    packer = zlib.compressobj(9)
    stream = b"".join(packer.compress(contents) for _ in range(repeat)) + packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def pdf_bomb(path: Path, unpacked_mb: int = 1024) -> Path:
    """A PDF whose one content stream expands to ``unpacked_mb`` (pypdf's own limit is 75 MB)."""
    return pdf_with_contents(path, b"0 0 m\n" * (1024 * 1024 // 6), repeat=unpacked_mb)

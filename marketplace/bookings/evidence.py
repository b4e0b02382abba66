"""Delivery evidence files: checked by content (not by name), stored outside the web root.

Files are named by a random token under the configured folder (default `instance/evidence`),
never by what the uploader called them, and are only served through a view that checks the
reader is a party to the booking.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 5
NAME_MAX = 255

# Content type by signature: what the bytes are, whatever the name or the browser says.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class StoredFile:
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str
    storage_name: str


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the file's first bytes, or None: not accepted."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    return None


def problems(uploads: list[Upload]) -> list[str]:
    """Every reason these files are refused (empty: all accepted)."""
    found: list[str] = []
    if len(uploads) > MAX_FILES:
        found.append(str(_l("Attach at most %(count)d files.", count=MAX_FILES)))
    for upload in uploads:
        name = upload.filename or "?"
        if not upload.data:
            found.append(str(_l("%(name)s is empty.", name=name)))
        elif len(upload.data) > MAX_FILE_BYTES:
            found.append(
                str(
                    _l(
                        "%(name)s is larger than %(size)d MB.",
                        name=name,
                        size=MAX_FILE_BYTES // (1024 * 1024),
                    )
                )
            )
        elif sniff(upload.data) is None:
            found.append(str(_l("%(name)s is not a PDF, PNG or JPEG file.", name=name)))
    return found


def clean_name(filename: str) -> str:
    """The uploader's file name for display only: no path, no control characters."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:NAME_MAX] or "document"


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, upload: Upload) -> StoredFile:
        sniffed = sniff(upload.data)
        if sniffed is None:  # `problems` was not called first
            raise ValueError("unsupported file type")
        content_type, extension = sniffed
        storage_name = secrets.token_hex(16) + extension
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / storage_name).write_bytes(upload.data)
        return StoredFile(
            original_name=clean_name(upload.filename),
            content_type=content_type,
            size_bytes=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            storage_name=storage_name,
        )

    def path(self, storage_name: str) -> Path:
        path = (self.root / storage_name).resolve()
        if path.parent != self.root.resolve():
            raise ValueError("not a stored file")
        return path

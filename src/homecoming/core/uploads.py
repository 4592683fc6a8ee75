"""Files people upload (session recordings, complaint attachments): accepted by what their bytes
are, never by their name or the browser's claim; size-limited; copied into Django's storage
under a fresh random name while their SHA-256 is computed, so the record commits to the exact
bytes. A copy that fails part-way leaves nothing behind.
"""

import hashlib
import io
import os
import uuid

import filetype
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage

HEADER_BYTES = 8192  # what filetype reads of a file to recognise it


def kind_of(uploaded_file, accepted: dict[str, str], names: str, what: str) -> tuple[str, str]:
    """(extension, content type) recognised from the first bytes, if `accepted` (extension ->
    content type) has it; else a ValidationError on "file" naming `names`."""
    uploaded_file.seek(0)
    head = uploaded_file.read(HEADER_BYTES)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.extension not in accepted:
        found = f"its content is {kind.mime}" if kind else "its content is not a format we know"
        name = original_name(uploaded_file, "The file")
        raise ValidationError({"file": f"“{name}” is not {what} we accept ({names}): {found}."})
    return kind.extension, accepted[kind.extension]


def check_size(uploaded_file, max_mb: int, what: str):
    if not uploaded_file.size:
        raise ValidationError({"file": "The file is empty."})
    if uploaded_file.size > max_mb * 1024 * 1024:
        size_mb = uploaded_file.size / (1024 * 1024)
        raise ValidationError(
            {"file": f"The file is {size_mb:.1f} MB; {what} may be at most {max_mb} MB."}
        )


class HashingReader:
    """The upload as the storage reads it, hashing and counting every byte on the way, so the
    file is read once. A storage that rewinds to read again starts the digest again."""

    def __init__(self, upload):
        self._upload = upload
        self.size = upload.size
        self.seek(0)

    def read(self, size=-1):
        data = self._upload.read(size)
        self._sha256.update(data)
        self.bytes_read += len(data)
        return data

    def seek(self, offset, whence=os.SEEK_SET):
        if (offset, whence) != (0, os.SEEK_SET):
            raise io.UnsupportedOperation("the upload is read from its start only")
        self._upload.seek(0)
        self._sha256 = hashlib.sha256()
        self.bytes_read = 0
        return 0

    def tell(self):
        return self.bytes_read

    @property
    def hexdigest(self) -> str:
        return self._sha256.hexdigest()


def store(uploaded_file, folder: str, extension: str) -> tuple[str, HashingReader]:
    """Copy the upload into the storage under a fresh random name in `folder` (nothing about
    the person or the file's own name reaches the storage). Returns the stored name and the
    reader with its digest and byte count."""
    wanted = f"{folder}/{uuid.uuid4().hex}.{extension}"
    reader = HashingReader(uploaded_file)
    try:
        stored = default_storage.save(wanted, File(reader, name=wanted))
    except BaseException:
        # A copy that failed half-way may have left part of the file behind.
        default_storage.delete(wanted)
        raise
    if reader.bytes_read != uploaded_file.size:
        default_storage.delete(stored)
        raise ValidationError({"file": "The file could not be read completely. Try again."})
    return stored, reader


def original_name(uploaded_file, fallback: str) -> str:
    return os.path.basename(uploaded_file.name or "")[:255] or fallback

"""Small images for photo tests, drawn with Pillow (no file on disk, no network)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from homecoming.residents import photos


def image_bytes(fmt="PNG", colour=(120, 140, 170), size=(16, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def upload_file(content: bytes, name="photo.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def take_photo(actor, resident, fmt="PNG"):
    """A photo of the resident, through the service, as the chart's form takes one."""
    return photos.upload(actor, resident.pk, upload_file(image_bytes(fmt)))


@pytest.fixture
def photo_storage(settings, tmp_path):
    """Uploaded files in the test's own folder, not the data directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }

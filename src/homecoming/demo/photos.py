"""The demo residents' photos: taken by their caseworker on the first afternoon, for two in
three residents (the others show their initials, as a resident not yet photographed does).

The pictures are drawn, not photographs of anyone: a head and shoulders on a coloured ground,
the colours chosen from the resident's number, so every build draws the same bytes. Drawn with
Pillow (WeasyPrint brings it in); without Pillow the demo has no photos and says nothing.
"""

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from homecoming.residents import photos

SIZE = 160
GROUNDS = ("#8fa8c8", "#a8c8a0", "#c8b08f", "#b8a0c8", "#9fc4c4", "#c8a0a8")
SKINS = ("#f1d2b6", "#d9a878", "#a86f4a", "#7a4b2e", "#e8c4a0")
CLOTHES = ("#2f4f6f", "#4a5a3a", "#6b3a3a", "#3a3a3a", "#5a4a6b")


def portrait(index: int) -> bytes | None:
    """A PNG of a drawn head and shoulders, the same for the same index; None without Pillow."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        return None
    image = Image.new("RGB", (SIZE, SIZE), GROUNDS[index % len(GROUNDS)])
    draw = ImageDraw.Draw(image)
    clothes = CLOTHES[(index // 2) % len(CLOTHES)]
    draw.ellipse((22, 112, 138, 220), fill=clothes)
    draw.ellipse((50, 28, 110, 100), fill=SKINS[(index * 3) % len(SKINS)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def photo_story(index, resident, admitted_on: dt.date, caseworker, until):
    """The caseworker takes the resident's photo on their first afternoon (a generator of
    moments, as clock.live runs them); every third resident is not photographed yet."""
    if index % 3 == 2:
        return
    moment = timezone.make_aware(dt.datetime.combine(admitted_on, dt.time(14, index % 60)))
    if moment >= until:
        return
    content = portrait(index)
    if content is None:
        return
    yield moment
    upload = SimpleUploadedFile("photo.png", content, content_type="image/png")
    photos.upload(caseworker, resident.pk, upload)

"""Pages for session recordings: upload, the player (one logged access per opening), and the
audio itself, streamed with HTTP range requests so a player can seek without downloading the
whole session."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from homecoming.core.forms import apply_errors, form_status

from . import recordings
from .models import Recording, Session

CHUNK_BYTES = 64 * 1024


class RecordingForm(forms.Form):
    file = forms.FileField(
        label="Audio file",
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*"}),
        help_text=f"{recordings.FORMAT_NAMES}. The file's content is checked, not its name.",
    )


@require_http_methods(["GET", "POST"])
def recording_upload(request, session_id):
    try:
        target = recordings.upload_target(request.user, session_id)
    except Session.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    data = request.POST if request.method == "POST" else None
    form = RecordingForm(data, request.FILES if data is not None else None)
    if data is not None and not target.refusal and form.is_valid():
        try:
            recordings.upload(request.user, target.session, form.cleaned_data["file"])
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            return redirect("encounters:session", session_id=session_id)
    elif data is not None and target.refusal:
        form.add_error(None, target.refusal)
    context = {
        "target": target,
        "form": form,
        "max_mb": recordings.max_bytes() // (1024 * 1024),
    }
    return render(
        request, "encounters/recordings/upload.html", context, status=form_status(request)
    )


@require_GET
def recording(request, recording_id):
    try:
        play = recordings.play(request.user, recording_id)
    except Recording.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return render(request, "encounters/recordings/player.html", {"play": play})


# --- the audio, with range requests -------------------------------------------------------------

UNSATISFIABLE = "unsatisfiable"
_SPEC = re.compile(r"^(\d*)-(\d*)$")


def byte_range(header: str | None, size: int):
    """The one byte range a Range header asks for, as (first, last) inclusive; None to send the
    whole file; UNSATISFIABLE when it starts past the end (RFC 9110, section 14).

    A header we do not understand, or in another unit, is ignored, as the RFC allows: the whole
    file is the correct answer to it."""
    if not header:
        return None
    unit, equals, ranges = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    specs = [s.strip() for s in ranges.split(",")]
    if len(specs) != 1:
        # Several ranges would need a multipart/byteranges answer. Audio players ask for one
        # range at a time, and the RFC lets a server answer any Range with the whole file, so
        # we do that rather than carry a multipart writer nobody uses.
        return None
    match = _SPEC.match(specs[0])
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # "-n": the last n bytes
        wanted = int(last)
        if wanted == 0 or size == 0:
            return UNSATISFIABLE
        return max(size - wanted, 0), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # not a valid range: the header is ignored
    if start >= size:
        return UNSATISFIABLE
    end = min(int(last), size - 1) if last else size - 1
    return start, end


class _FileSlice:
    """`length` bytes of an open storage file from where it stands, in bounded chunks. Has
    close(), so Django closes the file when the response ends, even if it is never read."""

    def __init__(self, handle, length):
        self.handle = handle
        self.remaining = length

    def __iter__(self):
        while self.remaining > 0:
            data = self.handle.read(min(CHUNK_BYTES, self.remaining))
            if not data:
                break
            self.remaining -= len(data)
            yield data

    def close(self):
        self.handle.close()


def _etag(recording) -> str:
    # The bytes never change (the row is final and commits to their SHA-256).
    return f'"{recording.sha256}"'


@require_GET
def recording_audio(request, recording_id):
    try:
        recording = recordings.audio_for(request.user, recording_id, request.GET.get("t", ""))
    except Recording.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    size = recording.size
    wanted = byte_range(request.headers.get("Range"), size)
    if_range = request.headers.get("If-Range")
    if wanted is not None and if_range is not None and if_range != _etag(recording):
        wanted = None  # the client's partial copy is of something else: send it all
    if wanted == UNSATISFIABLE:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        first, last = wanted or (0, size - 1)
        try:
            handle = default_storage.open(recording.storage_name, "rb")
        except FileNotFoundError as exc:
            raise Http404("The audio file of this recording is missing from storage.") from exc
        handle.seek(first)
        response = StreamingHttpResponse(
            _FileSlice(handle, last - first + 1),
            status=206 if wanted else 200,
            content_type=recording.content_type,
        )
        response["Content-Length"] = str(last - first + 1)
        if wanted:
            response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Disposition"] = "inline"
        response["ETag"] = _etag(recording)
    response["Accept-Ranges"] = "bytes"
    # Clinical audio: no copy in the browser's or any proxy's cache.
    response["Cache-Control"] = "no-store"
    return response

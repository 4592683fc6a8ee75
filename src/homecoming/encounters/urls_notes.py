"""Routes of the note pages (included by encounters/urls.py, namespace "encounters")."""

from django.urls import path

from . import views_notes as views

urlpatterns = [
    path("residents/<int:resident_id>/notes/", views.resident_notes, name="resident_notes"),
    path("residents/<int:resident_id>/notes/new", views.note_new, name="note_new"),
    path("notes/awaiting-cosignature/", views.notes_to_cosign, name="notes_to_cosign"),
    path("notes/<int:note_id>/", views.note, name="note"),
    path("notes/<int:note_id>/draft", views.note_autosave, name="note_autosave"),
    path("notes/<int:note_id>/sign", views.note_sign, name="note_sign"),
    path("notes/<int:note_id>/addendum", views.note_addendum, name="note_addendum"),
    path("notes/<int:note_id>/cosign", views.note_cosign, name="note_cosign"),
    path("notes/<int:note_id>/release", views.note_release, name="note_release"),
    path("my-record/notes/", views.my_notes, name="my_notes"),
]

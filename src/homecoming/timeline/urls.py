from django.urls import path

from . import views

app_name = "timeline"
urlpatterns = [
    path("residents/<int:resident_id>/timeline/", views.timeline, name="timeline"),
    path("residents/<int:resident_id>/timeline/<int:seq>/", views.change, name="change"),
    path("residents/<int:resident_id>/as-of/", views.as_of, name="as_of"),
]

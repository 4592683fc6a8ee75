from django.urls import path

from . import views

app_name = "conversations"
urlpatterns = [
    path("my-record/messages/", views.mine, name="mine"),
    path("my-record/messages/<int:thread_id>/", views.my_thread, name="my_thread"),
    path("messages/", views.inbox, name="inbox"),
    path("messages/<int:thread_id>/", views.thread, name="thread"),
    path("residents/<int:resident_id>/messages/", views.resident, name="resident"),
]

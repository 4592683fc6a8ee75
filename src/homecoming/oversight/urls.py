from django.urls import path

from . import views_complaints, views_investigations, views_public

app_name = "oversight"
urlpatterns = [
    path("complaints/", views_complaints.handled, name="complaints"),
    path("complaints/new/", views_complaints.file_complaint, name="file"),
    path("complaints/mine/", views_complaints.mine, name="mine"),
    path("complaints/<int:complaint_id>/", views_complaints.complaint, name="complaint"),
    path(
        "complaints/attachments/<int:attachment_id>/",
        views_complaints.attachment,
        name="attachment",
    ),
    path("complaints/escalate/", views_complaints.escalate_now, name="escalate"),
    path("complain/", views_public.public_form, name="public_form"),
    path("complain/receipt/", views_public.receipt, name="receipt"),
    path("complain/follow-up/", views_public.follow_up, name="follow_up"),
    path("complain/yours/", views_public.receipt_view, name="receipt_view"),
    path(
        "complain/yours/attachments/<int:attachment_id>/",
        views_public.receipt_attachment,
        name="receipt_attachment",
    ),
    path("complain/forget/", views_public.forget, name="forget"),
    path("oversight/", views_investigations.overview, name="investigations"),
    path(
        "oversight/investigations/<int:investigation_id>/",
        views_investigations.investigation,
        name="investigation",
    ),
    path(
        "oversight/grants/<int:grant_id>/actions/",
        views_investigations.staff_actions,
        name="staff_actions",
    ),
    path(
        "oversight/grants/<int:grant_id>/evidence/",
        views_investigations.evidence_bundle,
        name="evidence",
    ),
]

from django.urls import path

from . import token_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/second-factor/", views.second_factor, name="second_factor"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.change_password, name="change_password"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_new, name="staff_new"),
    path("staff/<int:user_id>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/tokens/", token_views.all_tokens, name="all_tokens"),
    path("staff/<int:user_id>/<str:action>/", views.staff_action, name="staff_action"),
    path("tokens/", token_views.my_tokens, name="my_tokens"),
    path("tokens/<int:token_id>/revoke/", token_views.revoke, name="revoke_token"),
]

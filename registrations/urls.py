from django.urls import path

from registrations import event_parts, organiser, views

app_name = "registrations"
urlpatterns = [
    path("e/<str:token>/register/", views.register, name="register"),
    path("e/<str:token>/me/", views.mine, name="mine"),
    path("e/<str:token>/me/answers/<int:face_id>/", views.answer, name="answer"),
    path("e/<str:token>/me/log-out/", views.log_out, name="log_out"),
    path("e/<str:token>/me/new-link/", views.new_link, name="new_link"),
    path("e/<str:token>/me/<str:link>/", views.login, name="login"),
    path("e/<str:token>/delete/", views.delete, name="delete"),
    path("e/<str:token>/delete/<str:link>/", views.delete, name="delete_link"),
    path(
        "events/<int:event_pk>/hide-requests/",
        organiser.hide_request_list,
        name="hide_requests",
    ),
    path("hide-requests/<int:pk>/", organiser.hide_request_decide, name="hide_request_decide"),
    path(
        "events/<int:event_pk>/registrations/retention/",
        event_parts.retention_save,
        name="retention",
    ),
]

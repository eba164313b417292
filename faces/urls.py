from django.urls import path

from faces import views

app_name = "faces"
urlpatterns = [
    path("search/", views.organiser_search, name="organiser_search"),
    path("faces/<int:pk>/crop.jpg", views.face_crop, name="face_crop"),
    path("faces/<int:pk>/<str:action>/", views.face_moderate, name="face_moderate"),
    path("e/<str:token>/", views.attendee, name="attendee"),
    path("e/<str:token>/search/", views.attendee_search, name="attendee_search"),
    path("e/<str:token>/photos/", views.attendee_results, name="attendee_results"),
    path(
        "e/<str:token>/photos/<int:photo_id>/<str:kind>/",
        views.attendee_photo,
        name="attendee_photo",
    ),
    path(
        "e/<str:token>/questions/<int:face_id>/face.jpg",
        views.attendee_question_face,
        name="attendee_question_face",
    ),
    path(
        "e/<str:token>/questions/<int:face_id>/",
        views.attendee_question_answer,
        name="attendee_question_answer",
    ),
    path("e/<str:token>/download.zip", views.attendee_download, name="attendee_download"),
    path("e/<str:token>/forget/", views.attendee_forget, name="attendee_forget"),
]

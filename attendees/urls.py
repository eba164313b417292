from django.urls import path

from attendees import shared, views

app_name = "attendees"
urlpatterns = [
    path("e/<str:token>/", views.attendee, name="attendee"),
    path("e/<str:token>/search/", views.attendee_search, name="search"),
    path("e/<str:token>/photos/", views.attendee_results, name="results"),
    path("e/<str:token>/photos/arrivals.json", views.attendee_arrivals, name="arrivals"),
    path("e/<str:token>/photos/<int:photo_id>/<str:kind>/", views.attendee_photo, name="photo"),
    path(
        "e/<str:token>/questions/<int:face_id>/face.jpg",
        views.attendee_question_face,
        name="question_face",
    ),
    path(
        "e/<str:token>/questions/<int:face_id>/",
        views.attendee_question_answer,
        name="question_answer",
    ),
    path("e/<str:token>/download.zip", views.attendee_download, name="download"),
    path("e/<str:token>/forget/", views.attendee_forget, name="forget"),
    path("p/<str:token>/", shared.shared, name="shared"),
    path(
        "p/<str:token>/photos/<int:photo_id>/<str:kind>/", shared.shared_photo, name="shared_photo"
    ),
    path("p/<str:token>/download.zip", shared.shared_download, name="shared_download"),
]

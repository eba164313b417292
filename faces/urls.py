from django.urls import path

from faces.views import attendee, organiser, people

app_name = "faces"
urlpatterns = [
    path("search/", organiser.organiser_search, name="organiser_search"),
    path("faces/<int:pk>/crop.jpg", organiser.face_crop, name="face_crop"),
    path("faces/<int:pk>/not-this-person/", people.face_not_this_person, name="face_split"),
    path("faces/<int:pk>/<str:action>/", organiser.face_moderate, name="face_moderate"),
    path("events/<int:event_pk>/people/", people.people_list, name="people"),
    path("events/<int:event_pk>/people/merge/", people.people_merge, name="people_merge"),
    path("people/<int:pk>/", people.person_detail, name="person"),
    path("people/<int:pk>/download.zip", people.person_download, name="person_download"),
    path("people/<int:pk>/<str:action>/", people.person_action, name="person_action"),
    path("p/<str:token>/", people.shared, name="shared"),
    path(
        "p/<str:token>/photos/<int:photo_id>/<str:kind>/", people.shared_photo, name="shared_photo"
    ),
    path("p/<str:token>/download.zip", people.shared_download, name="shared_download"),
    path("e/<str:token>/", attendee.attendee, name="attendee"),
    path("e/<str:token>/search/", attendee.attendee_search, name="attendee_search"),
    path("e/<str:token>/photos/", attendee.attendee_results, name="attendee_results"),
    path(
        "e/<str:token>/photos/<int:photo_id>/<str:kind>/",
        attendee.attendee_photo,
        name="attendee_photo",
    ),
    path(
        "e/<str:token>/questions/<int:face_id>/face.jpg",
        attendee.attendee_question_face,
        name="attendee_question_face",
    ),
    path(
        "e/<str:token>/questions/<int:face_id>/",
        attendee.attendee_question_answer,
        name="attendee_question_answer",
    ),
    path("e/<str:token>/download.zip", attendee.attendee_download, name="attendee_download"),
    path("e/<str:token>/forget/", attendee.attendee_forget, name="attendee_forget"),
]

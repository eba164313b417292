from django.urls import path

from faces.views import organiser, people

app_name = "faces"
urlpatterns = [
    path("search/", organiser.organiser_search, name="organiser_search"),
    path("faces/<int:pk>/crop.jpg", organiser.face_crop, name="face_crop"),
    path("faces/<int:pk>/not-this-person/", people.face_not_this_person, name="face_split"),
    path("faces/<int:pk>/<str:action>/", organiser.face_moderate, name="face_moderate"),
    path("events/<int:event_pk>/people/", people.people_list, name="people"),
    path("events/<int:event_pk>/people/merge/", people.people_merge, name="people_merge"),
    path("events/<int:event_pk>/people/same/", people.people_same, name="people_same"),
    path("events/<int:event_pk>/people/undo/", people.people_undo_last, name="people_undo"),
    path("people/<int:pk>/faces/move/", people.person_faces_move, name="person_faces_move"),
    path("people/<int:pk>/", people.person_detail, name="person"),
    path("people/<int:pk>/download.zip", people.person_download, name="person_download"),
    path("people/<int:pk>/<str:action>/", people.person_action, name="person_action"),
]

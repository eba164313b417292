from django.urls import path

from live import views

app_name = "live"
urlpatterns = [
    path("events/<int:event_pk>/cameras/", views.camera_create, name="camera_create"),
    path("cameras/<int:pk>/password/", views.camera_password, name="camera_password"),
    path("cameras/<int:pk>/delete/", views.camera_delete, name="camera_delete"),
    path("events/<int:event_pk>/live.json", views.live_status, name="status"),
    path("events/<int:event_pk>/wall/start/", views.wall_start, name="wall_start"),
    path("events/<int:event_pk>/wall/stop/", views.wall_stop, name="wall_stop"),
    path("w/<str:token>/", views.wall_page, name="wall"),
    path("w/<str:token>/photos.json", views.wall_photos, name="wall_photos"),
    path("w/<str:token>/photos/<int:photo_id>/", views.wall_photo, name="wall_photo"),
]

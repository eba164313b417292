from django.urls import path

from live import views

app_name = "live"
urlpatterns = [
    path("events/<int:event_pk>/cameras/", views.camera_create, name="camera_create"),
    path("cameras/<int:pk>/password/", views.camera_password, name="camera_password"),
    path("cameras/<int:pk>/delete/", views.camera_delete, name="camera_delete"),
    path("events/<int:event_pk>/live.json", views.live_status, name="status"),
]

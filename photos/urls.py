from django.urls import path

from photos import views

app_name = "photos"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("events/<int:pk>/delete/", views.event_delete, name="event_delete"),
    path("events/<int:pk>/qr.svg", views.event_qr, name="event_qr"),
    path("events/<int:pk>/new-link/", views.event_token_regenerate, name="event_token_regenerate"),
    path("events/<int:pk>/albums/new/", views.album_create, name="album_create"),
    path("albums/<int:pk>/", views.album_detail, name="album_detail"),
    path("albums/<int:pk>/grid/", views.album_grid, name="album_grid"),
    path("albums/<int:pk>/progress/", views.album_progress, name="album_progress"),
    path("albums/<int:pk>/upload/", views.album_upload, name="album_upload"),
    path("albums/<int:pk>/retry-failed/", views.album_retry_failed, name="album_retry_failed"),
    path("albums/<int:pk>/delete/", views.album_delete, name="album_delete"),
    path("photos/<int:pk>/", views.photo_detail, name="photo_detail"),
    path("photos/<int:pk>/retry/", views.photo_retry, name="photo_retry"),
    path("photos/<int:pk>/delete/", views.photo_delete, name="photo_delete"),
    path("photos/<int:pk>/file/<str:kind>/", views.photo_media, name="photo_media"),
]

from django.urls import path

from photos.views import albums, events, photos, uploads

app_name = "photos"
urlpatterns = [
    path("", events.dashboard, name="dashboard"),
    path("events/new/", events.event_create, name="event_create"),
    path("events/<int:pk>/", events.event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", events.event_edit, name="event_edit"),
    path("events/<int:pk>/delete/", events.event_delete, name="event_delete"),
    path("events/<int:pk>/qr.svg", events.event_qr, name="event_qr"),
    path("events/<int:pk>/new-link/", events.event_token_regenerate, name="event_token_regenerate"),
    path("events/<int:pk>/albums/new/", albums.album_create, name="album_create"),
    path("albums/<int:pk>/", albums.album_detail, name="album_detail"),
    path("albums/<int:pk>/grid/", albums.album_grid, name="album_grid"),
    path("albums/<int:pk>/progress/", albums.album_progress, name="album_progress"),
    path("albums/<int:pk>/upload/", albums.album_upload, name="album_upload"),
    path("albums/<int:pk>/uploads/", uploads.chunked_start, name="chunked_start"),
    path("uploads/<str:token>/", uploads.chunked_piece, name="chunked_piece"),
    path("uploads/<str:token>/cancel/", uploads.chunked_cancel, name="chunked_cancel"),
    path("uploads/<str:token>/parts/<int:number>/", uploads.direct_part, name="direct_part"),
    path("uploads/<str:token>/complete/", uploads.direct_complete, name="direct_complete"),
    path("albums/<int:pk>/retry-failed/", albums.album_retry_failed, name="album_retry_failed"),
    path("albums/<int:pk>/delete/", albums.album_delete, name="album_delete"),
    path("albums/<int:pk>/download.zip", albums.album_download, name="album_download"),
    path("events/<int:pk>/download.zip", events.event_download, name="event_download"),
    path("photos/<int:pk>/", photos.photo_detail, name="photo_detail"),
    path("photos/<int:pk>/retry/", photos.photo_retry, name="photo_retry"),
    path("photos/<int:pk>/delete/", photos.photo_delete, name="photo_delete"),
    path("photos/<int:pk>/file/<str:kind>/", photos.photo_media, name="photo_media"),
]

from django.urls import path

from smart import views

app_name = "smart"
urlpatterns = [
    path("photos/search/", views.search, name="search"),
]

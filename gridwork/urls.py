from django.urls import path

import basedb.urls  # noqa: F401 (registers the public_id converter: entities are addressed by their public id)

from . import views

app_name = "gridwork"
urlpatterns = [
    path("", views.home, name="home"),
    path("areas/<str:code>/", views.area, name="area"),
    path("areas/<str:code>/search/", views.search, name="search"),
    path("areas/<str:code>/entries/", views.entries, name="entries"),
    path("entities/<public_id:public_id>/", views.card, name="card"),
    # A record is one entity's row of one subcategory: addressed by both, never by its (enumerable) database id.
    path("entities/<public_id:public_id>/<slug:subcategory>/correct/", views.correct, name="correct"),
]

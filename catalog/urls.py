from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.catalog_index, name="index"),
    path("search/", views.catalog_search, name="search"),
    path("categories/<str:code>/", views.category_detail, name="category_detail"),
    path("subcategories/<str:code>/", views.subcategory_detail, name="subcategory_detail"),
    path("elements/<str:key>/", views.element_detail, name="element_detail"),
    path("code-tables/", views.code_table_list, name="code_table_list"),
    path("code-tables/<str:code>/", views.code_table_detail, name="code_table_detail"),
    path("templates/<str:code>.xlsx", views.template_download, name="template_download"),
]

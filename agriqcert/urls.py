from django.contrib import admin
from django.urls import path

from certificates import views as certificate_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("contexts/agriqcert/v1", certificate_views.context_document, name="context-v1"),
    path("credentials/status/<str:list_id>", certificate_views.status_list, name="status-list"),
]

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AgriqcertConfig(AppConfig):
    name = "agriqcert"
    verbose_name = "AgriQCert"


class AgriQCertAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the AgriQCert admin site (INSTALLED_APPS names it explicitly)."""

    default = False
    default_site = "agriqcert.admin.AgriQCertAdminSite"

"""The Django admin site, extended with pages for the MongoEngine documents.

The documents are not Django models, so ModelAdmin cannot show them; these pages are plain views
added before the admin's catch-all URL and listed on the admin index like any app.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path, reverse

from certificates import admin_views as certificate_views
from issuance import admin_views as issuance_views
from notifications import admin_views as notification_views


class AgriQCertAdminSite(admin.AdminSite):
    site_header = "AgriQCert administration"
    site_title = "AgriQCert admin"
    index_title = "Operations"

    def get_urls(self):
        view = self.admin_view
        pages = [
            path("issuance/jobs/", view(issuance_views.job_list), name="issuance-jobs"),
            path("issuance/jobs/retry/", view(issuance_views.retry_selected), name="issuance-retry-selected"),
            path("issuance/jobs/enqueue/", view(issuance_views.enqueue_batch), name="issuance-enqueue"),
            path("issuance/jobs/<str:job_id>/", view(issuance_views.job_detail), name="issuance-job"),
            path("issuance/jobs/<str:job_id>/retry/", view(issuance_views.retry_job), name="issuance-job-retry"),
            path("issuance/jobs/<str:job_id>/cancel/", view(issuance_views.cancel_job), name="issuance-job-cancel"),
            path("issuance/jobs/<str:job_id>/release/", view(issuance_views.release_job), name="issuance-job-release"),
            path("issuance/workers/", view(issuance_views.worker_list), name="issuance-workers"),
            path("certificates/batches/", view(certificate_views.batch_list), name="certificates-batches"),
            path(
                "certificates/batches/<str:batch_id>/", view(certificate_views.batch_detail), name="certificates-batch"
            ),
            path("certificates/inspections/", view(certificate_views.inspection_list), name="certificates-inspections"),
            path(
                "certificates/certificates/", view(certificate_views.certificate_list), name="certificates-certificates"
            ),
            path(
                "certificates/certificates/<str:certificate_id>/",
                view(certificate_views.certificate_detail),
                name="certificates-certificate",
            ),
            path(
                "certificates/certificates/<str:certificate_id>/revoke/",
                view(certificate_views.revoke_certificate),
                name="certificates-certificate-revoke",
            ),
            path("notifications/", view(notification_views.notification_list), name="notifications-list"),
        ]
        return pages + super().get_urls()

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if not request.user.is_staff:
            return apps
        sections = [
            ("issuance", "Issuance", [("Issuance jobs", "issuance-jobs"), ("Workers", "issuance-workers")]),
            (
                "certificates",
                "Certificates",
                [
                    ("Batches", "certificates-batches"),
                    ("Inspections", "certificates-inspections"),
                    ("Certificates", "certificates-certificates"),
                ],
            ),
            ("notifications", "Notifications", [("Notifications", "notifications-list")]),
        ]
        ours = [
            {
                "name": name,
                "app_label": label,
                "app_url": reverse(f"admin:{pages[0][1]}"),
                "has_module_perms": True,
                "models": [
                    {
                        "name": title,
                        "object_name": url_name,
                        "admin_url": reverse(f"admin:{url_name}"),
                        "view_only": True,
                        "perms": {"view": True},
                    }
                    for title, url_name in pages
                ],
            }
            for label, name, pages in sections
            if app_label in (None, label)
        ]
        return ours + apps

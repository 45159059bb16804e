from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from certificates import api as certificate_api
from certificates import vc_api
from certificates import views as certificate_views
from issuance import api as issuance_api
from notifications import api as notification_api

api = [
    path("batches/", certificate_api.BatchList.as_view(), name="api-batches"),
    path("batches/<str:batch_number>/", certificate_api.BatchDetail.as_view(), name="api-batch"),
    path("batches/<str:batch_number>/inspections/", certificate_api.InspectionList.as_view(), name="api-inspections"),
    path("batches/<str:batch_number>/issuance/", issuance_api.BatchIssuance.as_view(), name="api-issuance"),
    path(
        "batches/<str:batch_number>/issuance/retry/",
        issuance_api.BatchIssuanceRetry.as_view(),
        name="api-issuance-retry",
    ),
    path("inspections/", certificate_api.InspectionHistory.as_view(), name="api-inspection-history"),
    path("certificates/", certificate_api.CertificateList.as_view(), name="api-certificates"),
    path("certificates/<str:certificate_id>/", certificate_api.CertificateDetail.as_view(), name="api-certificate"),
    path(
        "certificates/<str:certificate_id>/credential/",
        certificate_api.CertificateCredential.as_view(),
        name="api-certificate-credential",
    ),
    path(
        "certificates/<str:certificate_id>/qr.<str:image_format>",
        certificate_api.CertificateQR.as_view(),
        name="api-certificate-qr",
    ),
    path(
        "certificates/<str:certificate_id>/share/",
        certificate_api.CertificateShare.as_view(),
        name="api-certificate-share",
    ),
    path(
        "certificates/<str:certificate_id>/share/<str:username>/",
        certificate_api.CertificateShareWithdraw.as_view(),
        name="api-certificate-share-withdraw",
    ),
    path("notifications/", notification_api.NotificationList.as_view(), name="api-notifications"),
    path("notifications/unread-count/", notification_api.UnreadCount.as_view(), name="api-notifications-unread"),
    path("notifications/read-all/", notification_api.MarkAllRead.as_view(), name="api-notifications-read-all"),
    path(
        "notifications/<str:notification_id>/read/", notification_api.MarkRead.as_view(), name="api-notification-read"
    ),
    path("verify/", certificate_api.Verify.as_view(), name="api-verify"),
]


def context_paths() -> list:
    """The context is also served at CREDENTIAL_CONTEXT_URL's path, when that URL is on this site."""
    own = urlsplit(settings.CREDENTIAL_CONTEXT_URL).path.lstrip("/")
    if not own or own == "contexts/agriqcert/v1" or not settings.CREDENTIAL_CONTEXT_URL.startswith(settings.SITE_URL):
        return []
    return [path(own, certificate_views.context_document, name="context-configured")]


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("contexts/agriqcert/v1", certificate_views.context_document, name="context-v1"),
    *context_paths(),
    path("credentials/status/<str:list_id>", certificate_views.status_list, name="status-list"),
    path("credentials/verify", vc_api.VerifyCredential.as_view(), name="vc-api-verify"),
    path(".well-known/did.json", certificate_views.did_document, name="did-document"),
    path("", include("web.urls")),
]

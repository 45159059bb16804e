from django.http import HttpRequest, HttpResponse

from core.admin_pages import paginate, query_string, render
from notifications.models import Notification


def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.order_by("-created_at")
    recipient = request.GET.get("recipient", "").strip()
    if recipient:
        notifications = notifications.filter(recipient=recipient)
    page = paginate(request, notifications)
    return render(
        request,
        "admin/notifications/notification_list.html",
        "Notifications",
        page=page,
        query=query_string(request),
        recipient=recipient,
    )

"""Admin pages for the issuance queue: jobs, one job, actions on jobs, workers."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from certificates import listing
from certificates.lookup import find_batch
from certificates.models import Batch, Certificate, Inspection
from core.admin_pages import (
    PERIODS,
    confirm_or_run,
    paginate,
    query_string,
    render,
    requires_permission,
    sort_key,
    within_period,
)
from core.documents import get_document_or_404, object_id
from issuance import queue
from issuance.models import IssuanceJob, JobStatus, OrphanCredential, OrphanState, Trigger, WorkerHeartbeat
from issuance.monitoring import queue_status, worker_gone
from issuance.requests import assess, request_issuance

SORTS = {"created": "created_at", "next": "next_attempt_at", "updated": "updated_at", "batch": "batch_number"}
OUTCOMES = {"will_retry": "Will retry", "gave_up": "Gave up"}
# Jobs with orphan credentials: still valid at Certify (pending, unrevocable), or any.
ORPHANS = {"unrevoked": [OrphanState.PENDING, OrphanState.UNREVOCABLE], "any": list(OrphanState)}
FILTERS = [
    ("status", "By status", [(s, s.title()) for s in JobStatus]),
    ("outcome", "By failure", list(OUTCOMES.items())),
    ("orphans", "By orphan credentials", [("unrevoked", "Not revoked yet"), ("any", "Any")]),
    ("trigger", "By trigger", [(t, "API" if t == Trigger.API else t.title()) for t in Trigger]),
    ("created", "By date created", [(key, label) for key, (label, _) in PERIODS.items()]),
]


def filtered_jobs(request: HttpRequest):
    # The list never needs the error history or Certify's answers.
    jobs = IssuanceJob.objects.exclude("errors", "received_credential", "unkept")
    status = request.GET.get("status")
    if status in set(JobStatus):
        jobs = jobs.filter(status=status)
    outcome = request.GET.get("outcome")
    if outcome == "will_retry":
        jobs = jobs.will_retry()
    elif outcome == "gave_up":
        jobs = jobs.gave_up()
    orphans = ORPHANS.get(request.GET.get("orphans", ""))
    if orphans:
        jobs = jobs.filter(pk__in=OrphanCredential.objects(state__in=orphans).distinct("job_id"))
    trigger = request.GET.get("trigger")
    if trigger in set(Trigger):
        jobs = jobs.filter(trigger=trigger)
    jobs = within_period(request, jobs, "created_at", "created")
    q = request.GET.get("q", "").strip()
    if q and object_id(q) is not None:
        jobs = jobs.filter(pk=object_id(q))
    elif q:
        batch_ids, _ = listing.batch_ids_starting(q)
        jobs = jobs.filter(batch_id__in=batch_ids)
    return jobs


def _more_batches_than_listed(request: HttpRequest) -> bool:
    q = request.GET.get("q", "").strip()
    return bool(q) and object_id(q) is None and listing.batch_ids_starting(q)[1]


def job_list(request: HttpRequest) -> HttpResponse:
    order_value, order = sort_key(request, SORTS, "-created")
    jobs = filtered_jobs(request).order_by(order)
    page = paginate(request, jobs)
    status = queue_status()
    return render(
        request,
        "admin/issuance/job_list.html",
        "Issuance jobs",
        page=page,
        jobs=page.object_list,
        counts=status["counts"],
        will_retry=status["will_retry"]["count"],
        gave_up=status["gave_up"]["count"],
        oldest_due=status["oldest_due"],
        orphans=status["orphan_credentials"]["counts"],
        filters=[
            (
                name,
                label,
                [(query_string(request, **{name: None}), "All", not request.GET.get(name))]
                + [(query_string(request, **{name: v}), text, request.GET.get(name) == v) for v, text in choices],
            )
            for name, label, choices in FILTERS
        ],
        columns=[
            (
                key,
                label,
                query_string(request, o=("-" if order_value == key else "") + key),
                order_value.lstrip("-") == key,
            )
            for key, label in (
                ("batch", "Batch"),
                ("next", "Next attempt"),
                ("updated", "Updated"),
                ("created", "Created"),
            )
        ],
        q=request.GET.get("q", ""),
        more_batches=_more_batches_than_listed(request) and listing.BATCH_MATCHES,
        query=query_string(request),
        can_retry=request.user.has_perm("issuance.retry_job"),
        can_enqueue=request.user.has_perm("issuance.enqueue_job"),
    )


def get_job(job_id: str) -> IssuanceJob:
    return get_document_or_404(IssuanceJob.objects, f"No issuance job {job_id}", pk=job_id)


def job_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    job = get_job(job_id)
    batch = Batch.objects(pk=job.batch_id).first()
    inspection = Inspection.objects(pk=job.inspection_id).first()
    certificate = Certificate.objects(pk=job.certificate_id).first() if job.certificate_id else None
    worker = WorkerHeartbeat.objects(worker_id=job.locked_by).first() if job.locked_by else None
    timeline = [
        ("Created", job.created_at, f"trigger {job.trigger}" + (f" by {job.requested_by}" if job.requested_by else ""))
    ]
    if job.retried_at:
        timeline.append(("Retried", job.retried_at, f"by {job.retried_by}"))
    timeline += [(f"Attempt {e.attempt} {e.kind}", e.at, e.message) for e in job.errors]
    if job.status == JobStatus.PROCESSING and job.started_at:
        timeline.append((f"Attempt {job.attempt_count} started", job.started_at, f"on {job.locked_by}"))
    if job.finished_at:
        timeline.append(("Finished", job.finished_at, job.status if not job.gave_up else "gave up"))
    if job.will_retry:
        timeline.append(("Next attempt", job.next_attempt_at, "scheduled"))
    if job.expires_at:
        timeline.append(("Expires", job.expires_at, "deleted by the retention policy"))
    timeline.sort(key=lambda row: row[1])
    return render(
        request,
        "admin/issuance/job_detail.html",
        f"Issuance job {job.pk}",
        job=job,
        batch=batch,
        inspection=inspection,
        certificate=certificate,
        worker=worker,
        worker_gone=worker_gone(job),
        orphans=OrphanCredential.objects(job_id=job.pk).order_by("recorded_at"),
        holds_answer=bool(job.received_credential),
        timeline=timeline,
        can_retry=request.user.has_perm("issuance.retry_job") and job.status == JobStatus.FAILED,
        can_cancel=request.user.has_perm("issuance.cancel_job") and job.status == JobStatus.PENDING,
        can_release=request.user.has_perm("issuance.release_job") and job.status == JobStatus.PROCESSING,
    )


def _detail(job: IssuanceJob) -> str:
    return reverse("admin:issuance-job", args=[job.pk])


def _act_on_job(
    request: HttpRequest, job: IssuanceJob, change, *, done: str, refused: str, question: str, details: list[str]
) -> HttpResponse:
    """The two-step POST for one job: confirm, then `change(job, by=user)`; it returns False
    when the job was no longer in a state it applies to (another operator or worker got there)."""

    def run() -> tuple[bool, str]:
        if change(job, by=request.user.get_username()):
            return True, done
        return False, refused

    return confirm_or_run(request, question=question, details=details, action=run, back=_detail(job))


@require_POST
@requires_permission("issuance.retry_job")
def retry_job(request: HttpRequest, job_id: str) -> HttpResponse:
    job = get_job(job_id)
    return _act_on_job(
        request,
        job,
        queue.retry,
        done=f"Job {job.pk} for batch {job.batch_number} will be retried now.",
        refused=f"Job {job.pk} is {job.status}, not failed: nothing to retry.",
        question=f"Retry issuance for batch {job.batch_number}?",
        details=[
            f"Job {job.pk} is {job.status} after {job.attempt_count} attempt(s).",
            "Its attempts start again at 0.",
        ],
    )


@require_POST
@requires_permission("issuance.retry_job")
def retry_selected(request: HttpRequest) -> HttpResponse:
    ids = request.POST.getlist("ids")
    jobs = [get_job(job_id) for job_id in ids[:500]]
    back = reverse("admin:issuance-jobs") + request.POST.get("query", "")
    if not jobs:
        messages.warning(request, "Select the jobs to retry first.")
        return redirect(back)

    def run() -> tuple[bool, str]:
        retried = sum(queue.retry(job, by=request.user.get_username()) for job in jobs)
        skipped = len(jobs) - retried
        return retried > 0, f"{retried} job(s) will be retried now." + (
            f" {skipped} skipped: not failed." if skipped else ""
        )

    return confirm_or_run(
        request,
        question=f"Retry {len(jobs)} selected job(s)?",
        details=[f"{job.batch_number}: {job.status}" for job in jobs[:20]],
        action=run,
        back=back,
    )


@require_POST
@requires_permission("issuance.cancel_job")
def cancel_job(request: HttpRequest, job_id: str) -> HttpResponse:
    job = get_job(job_id)
    return _act_on_job(
        request,
        job,
        queue.cancel,
        done=f"Job {job.pk} was cancelled.",
        refused=f"Job {job.pk} is {job.status}, not pending: it was not cancelled.",
        question=f"Cancel issuance for batch {job.batch_number}?",
        details=["The job will not run; it stays visible as given up. Retry brings it back."],
    )


@require_POST
@requires_permission("issuance.release_job")
def release_job(request: HttpRequest, job_id: str) -> HttpResponse:
    job = get_job(job_id)
    if not worker_gone(job):
        messages.error(request, f"Worker {job.locked_by} is alive and holds the lease: the job was not released.")
        return redirect(_detail(job))
    return _act_on_job(
        request,
        job,
        # Checked again on confirmation: the worker may have come back in between.
        lambda job, by: worker_gone(job) and queue.release(job, by=by),
        done=f"Job {job.pk} was released; a worker will pick it up.",
        refused=f"Job {job.pk} is no longer held by a worker that is gone: nothing was released.",
        question=f"Release job {job.pk} from worker {job.locked_by}?",
        details=["Do this only when that worker is gone.", "The job becomes claimable without spending an attempt."],
    )


@require_POST
@requires_permission("issuance.enqueue_job")
def enqueue_batch(request: HttpRequest) -> HttpResponse:
    number = request.POST.get("batch", "").strip()
    back = reverse("admin:issuance-jobs")
    batch = find_batch(number) if number else None
    if batch is None:
        messages.error(request, f"No batch has the number or id {number!r}." if number else "Enter a batch number.")
        return redirect(back)
    # Refuse before asking "are you sure?": the confirmation is only for what would be done.
    assessed = assess(batch)
    if assessed.refused:
        messages.error(request, assessed.message)
        return redirect(back)

    def run() -> tuple[bool, str]:
        answer = request_issuance(batch, trigger=Trigger.ADMIN, by=request.user.get_username())
        return not answer.refused, answer.message

    inspection = assessed.inspection
    return confirm_or_run(
        request,
        question=f"Enqueue certificate issuance for batch {batch.batch_number}?",
        details=[f"Latest passed inspection: {inspection.inspected_at:%Y-%m-%d %H:%M} by {inspection.agency}."],
        action=run,
        back=back,
    )


def worker_list(request: HttpRequest) -> HttpResponse:
    return render(request, "admin/issuance/worker_list.html", "Issuance workers", workers=queue_status()["workers"])

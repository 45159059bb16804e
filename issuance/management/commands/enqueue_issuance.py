from django.core.management.base import BaseCommand, CommandError

from certificates.lookup import find_batch, latest_passed_inspection
from certificates.models import Certificate
from issuance import queue
from issuance.models import IssuanceJob, JobStatus, Trigger


def describe(job: IssuanceJob) -> str:
    if job.will_retry:
        return f"job {job.pk} (failed, will retry at {job.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC)"
    return f"job {job.pk} ({job.status})"


class Command(BaseCommand):
    help = "Enqueue certificate issuance for a batch's latest passed inspection."

    def add_arguments(self, parser) -> None:
        parser.add_argument("batch", help="batch number or id")
        parser.add_argument("--reissue", action="store_true", help="issue a new certificate even if one exists")
        parser.add_argument("--by", default="", help="who asked (recorded on the job)")

    def handle(self, *args, batch: str, reissue: bool, by: str, **options) -> None:
        found = find_batch(batch)
        if found is None:
            raise CommandError(f"No batch has the number or id {batch!r}.")
        inspection = latest_passed_inspection(found)
        if inspection is None:
            raise CommandError(f"Batch {found.batch_number} has no passed inspection; record one first.")

        live = IssuanceJob.objects(inspection_id=inspection.pk, **queue.live_filter()).first()
        if live is not None:
            raise CommandError(f"Batch {found.batch_number} already has {describe(live)}.")

        certificates = Certificate.objects(inspection=inspection).order_by("-revision")
        latest = certificates.first()
        if latest is not None and not reissue:
            raise CommandError(
                f"Batch {found.batch_number} already has certificate {latest.credential_id} "
                f"(issued {latest.issued_at:%Y-%m-%d}); use --reissue to issue a new one."
            )
        revision = latest.revision + 1 if latest is not None else 0

        result = queue.enqueue(inspection, trigger=Trigger.COMMAND, requested_by=by, revision=revision)
        job = result.job
        if not result.created and job.status == JobStatus.FAILED:
            # The earlier job gave up; asking again means trying again.
            queue.retry(job, by=by or "enqueue_issuance")
            job.reload()
            self.stdout.write(f"Re-queued {describe(job)} for batch {found.batch_number}.")
        elif not result.created:
            raise CommandError(f"Batch {found.batch_number} already has {describe(job)}.")
        else:
            self.stdout.write(f"Enqueued {describe(job)} for batch {found.batch_number}.")
        self.stdout.write(str(job.pk))

"""The sample-scan jobs of a draft: scan with progress, run the automatic checks, attach on success; and the
API reachability check (USE-03). Registered as job tasks; they run on an RQ worker or inline."""

from __future__ import annotations

import io
import logging
import time

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from compliance.pi_scan import scan_table
from compliance.readers import open_table
from compliance.samples import SampleError, read_sample
from marketplace import audit, jobs, policy, storage
from marketplace.database import unit_of_work
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.lifecycle import transition
from marketplace.products.checks import check_api, refresh_checks
from marketplace.products.models import ProductVersion, ScanJob
from marketplace.products.states import EDITABLE, SCAN_JOB, ScanAction, ScanState
from marketplace.types import utcnow

log = logging.getLogger(__name__)


@jobs.task("scan_sample")
def scan_sample(job_id: int) -> None:
    """The job: scan the stored sample with progress, run the automatic checks, attach it to the draft."""
    with unit_of_work():
        job = db.session.get(ScanJob, job_id)
        if job is None or job.state != ScanState.QUEUED:
            return  # delivered twice, or already handled
        transition(job, SCAN_JOB, ScanAction.START, actor=None)
    try:
        _scan_and_attach(job_id)
    except SampleError as exc:
        _fail_scan(job_id, exc.message)
    except Exception:
        # Whatever else breaks (storage, the endpoint check, a conflicting write), the job must not stay
        # "running" for ever: it fails with a generic message and the details go to the log.
        log.exception("scan job %s failed", job_id)
        db.session.rollback()
        _fail_scan(job_id, {"zh": "扫描因内部错误失败，已记录；请重新上传样本。",
                            "en": "The scan failed on our side and has been logged; upload the sample again."})


def _scan_and_attach(job_id: int) -> None:
    job = db.session.get(ScanJob, job_id)
    data = storage.read(job.file)
    sample = read_sample(data)
    scan = scan_table(open_table(io.BytesIO(data)), on_progress=_progress_writer(job_id))
    # The endpoint call (USE-03) has timeouts of its own and runs outside any transaction.
    api_check = check_api(db.session.get(ScanJob, job_id).version, allow_private=_allow_private())
    with unit_of_work():
        job = db.session.get(ScanJob, job_id)
        version = job.version
        if version.state not in EDITABLE:
            transition(job, SCAN_JOB, ScanAction.FAIL, actor=None, reason="the draft left editing")
            job.error = {"zh": "扫描期间草稿已提交，样本未附加。",
                         "en": "The draft was submitted while the scan ran; the sample was not attached."}
            job.finished_at = utcnow()
            return
        version.sample_file = job.file
        version.sample_filename = job.filename
        version.sample_format = sample.format
        version.sample_rows = sample.row_count
        version.scan_report = {**scan.to_dict(), "column_summary": scan.column_summary()}
        version.masked_preview = {"columns": sample.columns, "rows": sample.masked_preview(scan)}
        version.api_check = api_check
        refresh_checks(version, sample, scan)
        job.bytes_read, job.rows_read, job.finished_at = job.bytes_total, scan.rows_scanned, utcnow()
        transition(job, SCAN_JOB, ScanAction.SUCCEED, actor=None,
                   data={"rows": scan.rows_scanned, "pi_counts": scan.counts})


@jobs.task("check_api")
def check_api_endpoint(version_id: int) -> None:
    """The job: call the draft's API endpoint once (USE-03) and re-run the automatic checks with the result."""
    version = db.session.get(ProductVersion, version_id)
    if version is None or version.state not in EDITABLE:
        return
    api_check = check_api(version, allow_private=_allow_private())
    with unit_of_work():
        version = db.session.get(ProductVersion, version_id)
        if version.state not in EDITABLE:
            return
        version.api_check = api_check
        refresh_checks(version)
        audit.record(None, "product_version.api_check", "product_version", version.id,
                     {"reachable": (api_check or {}).get("reachable"), "status": (api_check or {}).get("status")})


def _allow_private() -> bool:
    return bool(current_app.config.get("MARKETPLACE_ALLOW_PRIVATE_ENDPOINTS", False))


def _progress_writer(job_id: int, every_seconds: float = 0.5):
    """Record progress at most twice a second, each in its own short transaction (not a state change)."""
    last = 0.0

    def write(bytes_read: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < every_seconds:
            return
        last = now
        db.session.execute(update(ScanJob).where(ScanJob.id == job_id).values(bytes_read=bytes_read))
        db.session.commit()

    return write


def _fail_scan(job_id: int, message: dict) -> None:
    with unit_of_work():
        job = db.session.get(ScanJob, job_id)
        job.error, job.finished_at = message, utcnow()
        transition(job, SCAN_JOB, ScanAction.FAIL, actor=None, reason=message.get("en"))


def get_scan_job(job_id: int, *, actor) -> ScanJob:
    job = db.session.get(ScanJob, job_id)
    if job is None:
        raise NotFound(_("No such scan."))
    policy.require(policy.can_view_product, actor, job.version.product)
    return job


def latest_scan(version: ProductVersion) -> ScanJob | None:
    return db.session.scalar(select(ScanJob).where(ScanJob.version_id == version.id)
                             .order_by(ScanJob.id.desc()).limit(1))

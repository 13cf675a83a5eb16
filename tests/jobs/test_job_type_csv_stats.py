"""The csv_stats job type: row counts and per-column statistics of an uploaded CSV file.

One good and one bad input run through the real worker; the edge cases call the job
function directly with a JobRun on a running job row.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs.errors import PermanentJobError
from jobs.job_types.csv_stats import csv_stats
from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_submit
from tests.jobs.job_runs import column, finished, running, through_worker


def _csv_job_run(user, filename: str, data: bytes) -> ProcessingJob:
    """Submit a csv_stats job on the file and let the worker finish it."""
    job = job_submit(
        job_type="csv_stats",
        params={},
        files=[SimpleUploadedFile(filename, data)],
        created_by=user,
    )
    return finished(job)


@pytest.mark.worker
@through_worker
def test_csv_stats_reports_rows_and_column_statistics(live_worker, user):
    data = b"name,price,qty\napple,1.5,3\npear,2.5,\nplum,x,1\n"
    job = _csv_job_run(user, "fruit.csv", data)

    assert job.status == JobStatus.COMPLETED, job.error
    assert job.result["file"] == "fruit.csv"
    assert job.result["rows"] == 3
    assert column(job.result, "price") == {
        "name": "price",
        "non_empty": 3,
        "numeric": 2,
        "min": 1.5,
        "max": 2.5,
        "mean": 2.0,
    }
    assert column(job.result, "qty")["non_empty"] == 2


@pytest.mark.worker
@through_worker
def test_csv_stats_fails_with_the_line_of_a_short_row(live_worker, user):
    data = b"a,b,c,d\n1,2,3,4\n" + b"5,6,7,8\n" * 14 + b"9,10,11\n"
    job = _csv_job_run(user, "bad.csv", data)

    assert job.status == JobStatus.FAILED
    assert job.error == "Line 17: expected 4 fields, found 3."
    assert job.attempts == 1  # bad input is not retried


@pytest.mark.django_db
def test_csv_stats_honours_the_delimiter_and_skips_blank_lines():
    run = running("csv_stats", {"delimiter": "semicolon"}, {"a.csv": b"x;y\r\n1;2\r\n\r\n3;4\r\n"})

    result = csv_stats.job_function(run)

    assert result["rows"] == 2
    assert column(result, "y") == {
        "name": "y",
        "non_empty": 2,
        "numeric": 2,
        "min": 2.0,
        "max": 4.0,
        "mean": 3.0,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty; expected a header row."),
        (b'a,b\n1,"unclosed\n', "Line 2: unexpected end of data."),
        (b"a,b\n1,2\n\xff\xfe,3\n", "the file is not UTF-8 text"),
        (b'a,b\n1,"x"y\n', "Line 2: ',' expected after '\"'."),
    ],
    ids=["empty", "unclosed-quote", "not-utf8", "stray-quote"],
)
def test_csv_stats_explains_malformed_files(content, message):
    run = running("csv_stats", {}, {"a.csv": content})

    with pytest.raises(PermanentJobError) as failure:
        csv_stats.job_function(run)

    assert message in str(failure.value)


@pytest.mark.django_db
def test_csv_stats_fails_clearly_when_its_upload_is_gone():
    run = running("csv_stats", {"files": ["jobs/inputs/missing/a.csv"]})

    with pytest.raises(PermanentJobError, match="no longer exists"):
        csv_stats.job_function(run)

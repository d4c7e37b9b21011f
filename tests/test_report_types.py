"""report.json's typed records (repro.report.schema) hold the fields its run-time tables check."""
from repro.report.schema import (CLAIM_FIELDS, COMPARISON_FIELDS, RECORD_FIELDS, RECORD_OPTIONAL, REPORT_FIELDS,
                                 VERDICT_FIELDS, VERDICT_OPTIONAL, ClaimRecord, ComparisonRecord, ReportPayload,
                                 VerdictRecord, claim_record)
from tests.report_outcomes import point


def test_the_typed_records_name_the_fields_the_tables_check():
    assert set(ClaimRecord.__required_keys__) == set(RECORD_FIELDS)
    assert set(ClaimRecord.__optional_keys__) == set(RECORD_OPTIONAL)
    assert set(VerdictRecord.__required_keys__) == set(VERDICT_FIELDS)
    assert set(VerdictRecord.__optional_keys__) == set(VERDICT_OPTIONAL)
    assert set(ComparisonRecord.__required_keys__) == set(COMPARISON_FIELDS)
    assert set(ReportPayload.__required_keys__) == set(REPORT_FIELDS)
    assert set(CLAIM_FIELDS) <= {"id", "kind"}  # the claim itself stays a plain object of its dataclass fields


def test_a_claim_record_has_exactly_the_typed_fields():
    record = claim_record(point("c-claim", -1.0))
    assert set(record) == set(ClaimRecord.__required_keys__)
    (comparison,) = record["comparisons"]
    assert set(comparison) == set(ComparisonRecord.__required_keys__)
    assert record["verdict"]["outcome"] == "reproduced"  # -1.0 lies below the margin of 2.0

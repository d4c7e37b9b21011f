"""The verification report, rendered from judged claim records alone (no training).

`build_report(records, out_dir, store=...)` writes report.md, report.html
(self-contained), report.json (stable) and PNG figures; `repro report` (repro.cli.report)
rebuilds it from a store or a report.json and compares two.
"""
from repro.report.build import build_report
from repro.report.compare import compare, compare_lines
from repro.report.content import NO_EVIDENCE
from repro.report.records import verdict_table
from repro.report.schema import SCHEMA_VERSION, ReportSchemaError, claim_record, dumps, read_report


__all__ = ["NO_EVIDENCE", "SCHEMA_VERSION", "ReportSchemaError", "build_report", "claim_record",
           "compare", "compare_lines", "dumps", "read_report", "verdict_table"]

"""The verification report, rendered from judged claim records alone (no training).

`build_report(records, out_dir, store=...)` writes report.md, report.html
(self-contained), report.json (stable) and PNG figures; `repro report` (see
`add_report_parser`) rebuilds it from a store or a report.json and compares two.
"""
from repro.report.build import SCHEMA_VERSION, build_report, dumps
from repro.report.cli import add_report_parser
from repro.report.compare import compare, compare_lines
from repro.report.content import NO_EVIDENCE
from repro.report.records import outcome_record, verdict_table


__all__ = ["NO_EVIDENCE", "SCHEMA_VERSION", "add_report_parser", "build_report", "compare", "compare_lines",
           "dumps", "outcome_record", "verdict_table"]

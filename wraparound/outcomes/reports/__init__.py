"""Funder/board reports of outcomes (PDF and XLSX) and the evaluators' de-identified extract
(docs/outcomes.md, "Reports and the evaluator extract")."""

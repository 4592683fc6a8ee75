"""FHIR R4 (issue 17): the record in the field's standard, under /fhir/R4/, with the same access
policy and the same ledger entries as every other read."""

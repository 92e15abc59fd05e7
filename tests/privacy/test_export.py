"""Tests for `crmcore.privacy._export`: everything held about a subject, as one document."""

import json
from datetime import timedelta

import pytest

from crmcore import CustomerId, NotFound
from crmcore.customers import CustomerMerged
from crmcore.errors import InvalidType, ValidationError
from crmcore.merge import merge_customers_in
from crmcore.privacy import (
    EXPORT_EXCLUSIONS,
    SUBJECT_REPOSITORIES,
    ExportManifest,
    SubjectExport,
    export_subject,
)
from crmcore.repository import InMemoryUnitOfWork
from crmcore.serialization import SCHEMA_VERSION, to_dict

from ._world import (
    ABSORBED,
    AT,
    EMAIL,
    OTHER,
    SUBJECT,
    T0,
    register,
    with_absorbed,
    world,
)


def expected_ids(unit: InMemoryUnitOfWork, customer_id: CustomerId) -> dict[str, list[str]]:
    """The ids each repository's own lookup gives for the customer, ascending."""
    ids: dict[str, list[str]] = {"customers": [customer_id.value]}
    for repository in SUBJECT_REPOSITORIES[1:]:
        records = getattr(unit, repository)
        found = (
            records.for_party(customer_id)
            if repository == "relationships"
            else records.for_customer(customer_id)
        )
        ids[repository] = sorted(record.id.value for record in found)
    return ids


def test_export_covers_what_each_repository_holds_about_the_subject() -> None:
    """Each section lists exactly the ids the repository's lookup gives, and no one else's."""
    unit = world()
    with unit:
        export = export_subject(unit, SUBJECT, at=AT)
        expected = expected_ids(unit, SUBJECT)
        others = {
            record.id.value
            for repository in SUBJECT_REPOSITORIES[1:]
            for record in getattr(unit, repository).for_customer(OTHER)
        }
    assert list(SUBJECT_REPOSITORIES) == [section.kind for section in export.manifest.sections]
    assert expected == {section.kind: list(section.ids) for section in export.manifest.sections}
    assert all(expected[kind] for kind in SUBJECT_REPOSITORIES)  # every kind is exercised
    exported = {
        entry["document"]["id"] for kind in export.document["records"].values() for entry in kind
    }
    assert others.isdisjoint(exported)


def test_document_holds_plain_json_and_each_record_as_serialized() -> None:
    """The document survives json.dumps unchanged; each entry is to_dict of the stored record."""
    unit = world()
    with unit:
        export = export_subject(unit, SUBJECT, at=AT)
        for repository, entries in export.document["records"].items():
            for entry in entries:
                record = getattr(unit, repository).get(
                    type(_id_of(unit, repository))(entry["document"]["id"])
                )
                assert to_dict(record) == entry["document"]
                assert type(record).__name__ == entry["type"]
    assert json.loads(json.dumps(export.document)) == export.document
    assert export.manifest.as_document() == export.document["manifest"]


def _id_of(unit: InMemoryUnitOfWork, repository: str) -> object:
    """Any stored id of a repository (to learn its id type)."""
    return next(iter(getattr(unit, repository))).id


def test_export_is_deterministic_and_changes_nothing() -> None:
    """Two exports of the same data are equal, and exporting saves nothing and emits nothing."""
    unit = world()
    before = len(unit.collect_events())
    with unit:
        first = export_subject(unit, SUBJECT, at=AT)
        second = export_subject(unit, SUBJECT, at=AT)
        versions = [record.version for record in unit.orders]
        unit.commit()
    assert first == second
    assert json.dumps(first.document) == json.dumps(second.document)
    assert before == len(unit.collect_events())
    assert versions == [0] * len(versions)


def test_manifest_says_when_which_schema_and_what_is_left_out() -> None:
    """The manifest records the time, the schema version, the counts and the exclusions."""
    unit = world()
    with unit:
        manifest = export_subject(unit, SUBJECT, at=AT).manifest
        expected = expected_ids(unit, SUBJECT)
    assert isinstance(manifest, ExportManifest)
    assert (SUBJECT, AT, SCHEMA_VERSION) == (
        manifest.customer_id,
        manifest.generated_at,
        manifest.schema_version,
    )
    assert {kind: len(ids) for kind, ids in expected.items()} == manifest.counts
    assert sum(len(ids) for ids in expected.values()) == manifest.total
    assert tuple(EXPORT_EXCLUSIONS.items()) == manifest.excluded
    assert {"staff", "events"} <= {what for what, _ in manifest.excluded}
    document = manifest.as_document()
    assert AT.isoformat() == document["generated_at"]
    assert [item["what"] for item in document["excluded"]] == list(EXPORT_EXCLUSIONS)


def test_tombstones_of_customers_merged_into_the_subject_are_exported() -> None:
    """Customers merged into the subject, directly or through a chain, come after it."""
    unit = world()
    chained = CustomerId("c-4")
    with unit:
        unit.customers.add(register(ABSORBED))
        unit.customers.add(register(chained))
        merge_customers_in(unit, ABSORBED, chained, at=T0 + timedelta(days=1))
        merge_customers_in(unit, SUBJECT, ABSORBED, at=T0 + timedelta(days=2))
        unit.commit()
    with unit:
        export = export_subject(unit, SUBJECT, at=AT)
    customers = export.document["records"]["customers"]
    assert ["c-1", "c-3", "c-4"] == [entry["document"]["id"] for entry in customers]
    assert [None, "c-1", "c-3"] == [entry["document"]["merged_into"] for entry in customers]


def test_exporting_an_absorbed_customer_names_the_survivor() -> None:
    """An absorbed customer is not exported on its own: the error names the survivor."""
    unit = world()
    with_absorbed(unit, ABSORBED)
    with unit, pytest.raises(CustomerMerged) as caught:
        export_subject(unit, ABSORBED, at=AT)
    assert (ABSORBED, SUBJECT) == (caught.value.customer_id, caught.value.survivor_id)
    assert "$.customer_id" == caught.value.path


def test_unknown_customer_and_bad_arguments_are_refused() -> None:
    """An unknown id is NotFound; a naive time and an id of the wrong type are refused."""
    unit = world()
    with unit:
        with pytest.raises(NotFound, match="c-9"):
            export_subject(unit, CustomerId("c-9"), at=AT)
        with pytest.raises(ValidationError) as naive:
            export_subject(unit, SUBJECT, at=AT.replace(tzinfo=None))
        with pytest.raises(InvalidType) as wrong:
            export_subject(unit, "c-1", at=AT)  # type: ignore[arg-type]
    assert ("$.at", "$.customer_id") == (naive.value.path, wrong.value.path)


def test_repr_names_the_subject_and_count_only() -> None:
    """An export's repr shows no personal value (the document itself is personal data)."""
    unit = world()
    with unit:
        export = export_subject(unit, SUBJECT, at=AT)
    text = repr(export)
    assert isinstance(export, SubjectExport)
    assert f"records={export.manifest.total}" in text
    assert EMAIL in json.dumps(export.document)
    for value in (EMAIL, "Putri", "Melati", "Javanese"):
        assert value not in text

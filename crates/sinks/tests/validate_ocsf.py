"""Checks eastwest's OCSF JSON lines against a second implementation of the schema.

Usage: python3 validate_ocsf.py FILE.jsonl

Each line is parsed with py-ocsf-models' pydantic model of its class (DetectionFinding for
class_uid 2004, ComplianceFinding for 2003) in strict mode, so a string where a number belongs,
an unknown enum value or a missing required attribute fails. Keys the model does not know are
dropped silently by pydantic; this script finds them by comparing the input with what the model
kept, and accepts only those listed in BEYOND_THE_MODEL, each with its reason, so a misspelt
attribute anywhere fails too.

py-ocsf-models 0.10.0 models OCSF 1.5; no release models OCSF 1.3's Compliance Finding (0.2.0,
the one release of OCSF 1.3, has Detection Finding only and needs pydantic 1). The attributes
eastwest writes mean the same in 1.3 and 1.5, except where OCSF 1.3 leaves optional what the
model requires: those get a placeholder before validation (see with_placeholders).

Prints "validated N" and exits 0 when every line passes; exits 1 listing the failures; exits 3
when py-ocsf-models is not installed.
"""

import json
import re
import sys

try:
    import pydantic
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding
    from py_ocsf_models.objects.cloud import Cloud
    from py_ocsf_models.objects.mitre_attack import MITREAttack
except ImportError as error:
    print(f"cannot import py-ocsf-models: {error}", file=sys.stderr)
    sys.exit(3)

MODELS = {2004: DetectionFinding, 2003: ComplianceFinding}

# What OCSF 1.3 leaves optional and py-ocsf-models requires: an AWS account is known by its id
# (Security Hub writes `owner: {account: {uid}}` the same way); its name is not known. Before
# validation these get a placeholder of the right type when they are missing, and only then.
PLACEHOLDER = "(not known)"


def with_placeholders(event):
    """A copy of `event` with placeholders where OCSF 1.3 allows an omission the model does not."""
    copy = json.loads(json.dumps(event))
    cloud = copy.get("cloud")
    if isinstance(cloud, dict) and isinstance(cloud.get("account"), dict):
        cloud["account"].setdefault("name", PLACEHOLDER)
    for resource in copy.get("resources") or []:
        owner = resource.get("owner") if isinstance(resource, dict) else None
        if isinstance(owner, dict):
            owner.setdefault("name", PLACEHOLDER)
            owner.setdefault("uid", PLACEHOLDER)
            owner.setdefault("type_id", 0)
            if isinstance(owner.get("account"), dict):
                owner["account"].setdefault("name", PLACEHOLDER)
    return copy


# Keys eastwest writes that the model has no field for, by class, with the reason.
BEYOND_THE_MODEL = {
    2004: {
        # The security_control profile (OCSF 1.3), declared in metadata.profiles.
        "attacks": "security_control profile",
        "action_id": "security_control profile",
        "action": "security_control profile",
        "disposition_id": "security_control profile",
        "disposition": "security_control profile",
        # eastwest's contract (DESIGN.md): the endpoints at the top of a detection finding.
        "src_endpoint": "eastwest contract",
        "dst_endpoint": "eastwest contract",
        # OCSF 1.3 evidence attributes the model leaves as a TODO.
        "evidences[].src_endpoint": "OCSF 1.3 evidences",
        "evidences[].dst_endpoint": "OCSF 1.3 evidences",
    },
    2003: {
        # OCSF 1.3 compliance.status, the caption of status_id; the model has status_id only.
        "compliance.status": "OCSF 1.3 compliance",
        # The cloud profile applies to every class (base event); the model left it out here.
        "cloud": "cloud profile",
    },
}

# Keys beyond a class's model that another model of the package describes: checked with it.
# A list value is checked item by item.
SUBMODELS = {"cloud": Cloud, "attacks": MITREAttack}

ENDPOINT_TEXT = {"ip", "name", "instance_uid", "interface_uid", "vpc_uid", "subnet_uid", "type"}


def path_of(location):
    """A pydantic error location as a dotted path, list indices as []."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += "[]"
        else:
            text += ("." if text else "") + str(part)
    return text


def dropped(given, kept, path=""):
    """Paths of keys in `given` that validation did not keep."""
    out = []
    if isinstance(given, dict) and isinstance(kept, dict):
        for key, value in given.items():
            child = f"{path}.{key}" if path else key
            if key not in kept:
                out.append(child)
            else:
                out.extend(dropped(value, kept[key], child))
    elif isinstance(given, list) and isinstance(kept, list):
        for value, kept_value in zip(given, kept):
            out.extend(dropped(value, kept_value, path + "[]"))
    return out


def endpoint_problems(endpoint, where):
    """Type checks of a network endpoint, which the model does not have."""
    if not isinstance(endpoint, dict):
        return [f"{where}: not an object"]
    problems = []
    for key, value in endpoint.items():
        if key in ENDPOINT_TEXT:
            if not isinstance(value, str) or not value:
                problems.append(f"{where}.{key}: {value!r} is not a non-empty string")
        elif key == "port":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535:
                problems.append(f"{where}.port: {value!r} is not a port")
        elif key == "type_id":
            if value not in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99):
                problems.append(f"{where}.type_id: {value!r} is not a network endpoint type")
        else:
            problems.append(f"{where}.{key}: not a network endpoint attribute")
    return problems


def check(line):
    """The problems of one line, empty when it passes."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError as error:
        return [f"not JSON: {error}"]
    class_uid = event.get("class_uid") if isinstance(event, dict) else None
    model = MODELS.get(class_uid)
    if model is None:
        return [f"class_uid {class_uid!r} is not a class this script checks"]
    problems = []
    try:
        # JSON mode: strict validation takes enum values as numbers there, as OCSF writes them.
        parsed = model.model_validate_json(json.dumps(with_placeholders(event)), strict=True)
    except pydantic.ValidationError as error:
        return [f"{path_of(e['loc'])}: {e['msg']} ({e['type']})" for e in error.errors()]
    kept = parsed.model_dump(mode="json", exclude_unset=True)
    if event.get("class_uid") != model.model_fields["class_uid"].default:
        problems.append(f"class_uid {class_uid} is not the model's")
    allowed = BEYOND_THE_MODEL.get(class_uid, {})
    for where in dropped(event, kept):
        if where not in allowed:
            problems.append(f"{where}: not an attribute of {model.__name__}")
    for name, submodel in SUBMODELS.items():
        if name not in allowed or name not in event:
            continue
        values = event[name] if isinstance(event[name], list) else [event[name]]
        for value in values:
            try:
                submodel.model_validate_json(
                    json.dumps(with_placeholders({name: value})[name]), strict=True
                )
            except pydantic.ValidationError as error:
                problems.extend(
                    f"{name}.{path_of(e['loc'])}: {e['msg']} ({e['type']})"
                    for e in error.errors()
                )
    for name in ("src_endpoint", "dst_endpoint"):
        if name in event:
            problems.extend(endpoint_problems(event[name], name))
        for index, evidence in enumerate(event.get("evidences") or []):
            if isinstance(evidence, dict) and name in evidence:
                problems.extend(endpoint_problems(evidence[name], f"evidences[{index}].{name}"))
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    failures = 0
    count = 0
    with open(sys.argv[1], encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            count += 1
            for problem in check(line):
                failures += 1
                print(f"line {number}: {problem}", file=sys.stderr)
    if failures:
        return 1
    print(f"validated {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Architecture rules that hold for the whole code base (STYLE.md, DOMAIN.md §1, PII-001)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from dangjian.core.fields import BlindIndexField, EncryptedTextField
from dangjian.core.rules import REGISTRY, RULE_ID_PATTERN

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dangjian"
DOMAIN = ROOT.parent / "shared" / "product" / "DOMAIN.md"
ID_IN_TEXT = re.compile(r"\b([A-Z]{2,5})-(\d{3})\b")

# Fields whose name says personal data but that are not a person's: each needs a reason.
NOT_PERSONAL = {
    "organisations.Organisation.address": "an organisation's office address (办公地址), public",
}
PERSONAL_NAME_PARTS = ("id_number", "id_card", "phone", "mobile", "address")


def _load_all_rules() -> None:
    for config in apps.get_app_configs():
        if config.name.startswith("dangjian."):
            try:
                importlib.import_module(f"{config.name}.rules")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.rules":
                    raise


def _python_files(*, tests: bool) -> list[Path]:
    files = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        is_test = "tests" in path.parts or path.name.startswith("test_")
        if is_test == tests:
            files.append(path)
    if tests:
        files += [p for p in (ROOT / "tests").rglob("*.py")]
    return files


def _domain_ids() -> set[str]:
    return {f"{p}-{n}" for p, n in ID_IN_TEXT.findall(DOMAIN.read_text(encoding="utf-8"))}


def test_every_rule_in_the_registry_has_a_domain_id():
    # given every app's rules module loaded
    _load_all_rules()
    assert REGISTRY, "no rule registered"
    # then each id has the DOMAIN.md shape, and the key is the id or id:variant
    for key, rule in REGISTRY.items():
        assert RULE_ID_PATTERN.match(rule.id), rule.id
        assert key == rule.key
        assert rule.source and rule.message, key


@pytest.mark.skipif(not DOMAIN.exists(), reason="DOMAIN.md is not next to the project")
def test_every_rule_id_in_the_registry_exists_in_domain_md():
    # given DOMAIN.md's rule IDs
    known = _domain_ids()
    _load_all_rules()
    # then no rule invents an ID
    invented = sorted({rule.id for rule in REGISTRY.values()} - known)
    assert invented == []


def _rule_ids_in_code() -> dict[str, set[str]]:
    prefixes = {rule.id.split("-")[0] for rule in REGISTRY.values()}
    if DOMAIN.exists():
        known = _domain_ids()
        prefixes |= {i.split("-")[0] for i in known}
    found: dict[str, set[str]] = {}
    for path in _python_files(tests=False):
        text = path.read_text(encoding="utf-8")
        for prefix, number in re.findall(r"\b([A-Z]{2,5})[-_](\d{3})\b", text):
            if prefix in prefixes:
                found.setdefault(f"{prefix}-{number}", set()).add(str(path.relative_to(ROOT)))
    return found


def _test_function_names() -> set[str]:
    names: set[str] = set()
    for path in _python_files(tests=True):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    return names


def test_every_rule_id_used_in_code_has_a_test_named_after_it():
    # given the rule IDs mentioned anywhere in non-test code
    _load_all_rules()
    used = _rule_ids_in_code()
    names = _test_function_names()
    # then each has at least one test whose name carries it (test_ORG_001_…), DOMAIN.md §1
    missing = {
        rule_id: sorted(paths)
        for rule_id, paths in used.items()
        if not any(f"test_{rule_id.replace('-', '_')}_" in name or name.endswith(rule_id.replace("-", "_")) for name in names)
    }
    assert missing == {}


def test_personal_data_fields_are_encrypted():
    # given every model of the project
    offenders = []
    for model in apps.get_models():
        if not model.__module__.startswith("dangjian."):
            continue
        for field in model._meta.get_fields():
            if not isinstance(field, models.Field) or field.is_relation:
                continue
            if not any(part in field.name for part in PERSONAL_NAME_PARTS):
                continue
            label = f"{model._meta.label}.{field.name}"
            if isinstance(field, EncryptedTextField | BlindIndexField) or label in NOT_PERSONAL:
                continue
            if isinstance(field, models.GenericIPAddressField):
                continue
            offenders.append(f"{label} ({type(field).__name__})")
    # then an ID number, phone or address is never a plain CharField/TextField (PII-001)
    assert offenders == []


def test_blind_indexes_point_at_encrypted_fields():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, BlindIndexField):
                assert isinstance(model._meta.get_field(field.source), EncryptedTextField), f"{model._meta.label}.{field.name}"


# Methods moved to the manager in treebeard 7: called on an instance they warn (errors in pytest).
_MOVED_TO_MANAGER = {
    "add_root",
    "add_child",
    "add_sibling",
    "move",
    "get_children",
    "get_children_count",
    "get_siblings",
    "get_descendants",
    "get_descendant_count",
    "get_first_child",
    "get_last_child",
    "get_first_sibling",
    "get_last_sibling",
    "get_prev_sibling",
    "get_next_sibling",
    "get_root",
    "get_parent",
    "get_ancestors",
    "get_tree",
    "get_root_nodes",
    "find_problems",
    "fix_tree",
    "load_bulk",
    "dump_bulk",
    "get_annotated_list",
}


def _deprecated_tree_calls(source: str) -> list[str]:
    offenders = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in _MOVED_TO_MANAGER:
            continue
        receiver = node.func.value
        on_manager = isinstance(receiver, ast.Attribute) and receiver.attr in {"objects", "_default_manager"}
        if not on_manager and _looks_like_a_node(receiver):
            offenders.append(f"{node.lineno} {ast.unparse(node.func)}()")
    return offenders


def _looks_like_a_node(receiver: ast.expr) -> bool:
    """Organisation, an org variable; not unrelated objects (queues, dicts, other managers)."""
    text = ast.unparse(receiver)
    return text == "Organisation" or bool(
        re.search(r"(?i)(^|\.|_)(org|organisation|node|parent|target|root|child|branch|community|street|district)s?$", text)
    )


def test_the_treebeard_check_spots_instance_calls():
    source = "org.get_parent()\nparent.add_child(name='x')\nOrganisation.add_root(name='x')\nOrganisation.objects.get_parent(org)\nqueue.move(1)\n"
    assert _deprecated_tree_calls(source) == ["1 org.get_parent()", "2 parent.add_child()", "3 Organisation.add_root()"]


def test_treebeard_tree_methods_are_called_on_the_manager():
    # given every module of the project and its tests
    offenders = [
        f"{path.relative_to(ROOT)}:{hit}"
        for path in _python_files(tests=False) + _python_files(tests=True)
        for hit in _deprecated_tree_calls(path.read_text(encoding="utf-8"))
    ]
    # then none calls a deprecated instance/class method (RemovedInTreebeard8Warning)
    assert offenders == []

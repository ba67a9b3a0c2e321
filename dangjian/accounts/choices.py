"""Roles, granted per organisation (FEATURES.md 'Who uses it')."""

from django.db import models


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", "区委组织部管理员"
    ORG_ADMIN = "org_admin", "党（工）委管理员"
    BRANCH_SECRETARY = "branch_secretary", "党支部书记"
    MEMBER = "member", "党员"
    UNIT_LIAISON = "unit_liaison", "驻区单位联络员"
    BASE_KEEPER = "base_keeper", "基地管理员"
    RESIDENT = "resident", "群众"


# Roles whose grant opens the whole organisation subtree for reading.
SUBTREE_ROLES = (Role.DISTRICT_ADMIN, Role.ORG_ADMIN, Role.BRANCH_SECRETARY)
# Roles that may manage the registry (create/edit members, import, export) in their subtree.
REGISTRY_ROLES = SUBTREE_ROLES
# Roles that may unmask personal data, with a stated reason (PII-001).
UNMASK_ROLES = SUBTREE_ROLES
# Roles that may change the tree itself (create, move, dissolve organisations) below their org.
TREE_ROLES = (Role.DISTRICT_ADMIN, Role.ORG_ADMIN)

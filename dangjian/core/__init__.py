"""Shared machinery: scope and subtree helper, encryption, masking, rules, Excel kit, base views."""

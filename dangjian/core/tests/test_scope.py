"""The one scoping helper: subtree filters by path range, never LIKE."""

from django.apps import apps

from dangjian.core.scope import PATH_MAX, Scope, path_range, subtree_q


def _model(label):
    """Models of higher apps come from the registry: core imports nothing above it."""
    return apps.get_model(*label.split("."))


def _sql(q):
    return str(_model("organisations.Organisation").objects.filter(q).query).upper()


def test_path_range_spans_the_node_and_everything_below_it_only():
    # given the range of node 0001 0002
    low, high = path_range("00010002")
    # then it holds the node and any descendant path, but neither siblings nor the parent
    for inside in ("00010002", "000100020001", "00010002ZZZZ", "00010002" + "Z" * 200):
        assert low <= inside <= high
    for outside in ("0001", "00010001", "000100019999", "00010003", "000100030001", "0002"):
        assert not (low <= outside <= high)
    assert high == "00010002" + PATH_MAX


def test_subtree_q_uses_a_range_not_like():
    # given a subtree filter
    sql = _sql(subtree_q(["00010002"]))
    # then the SQL compares paths with BETWEEN (an index range), never LIKE / startswith
    assert "BETWEEN" in sql
    assert "LIKE" not in sql and "GLOB" not in sql


def test_subtree_q_through_a_relation_uses_a_range_on_the_related_path():
    sql = str(_model("members.Member").objects.filter(subtree_q(["0001"], prefix="organisation__")).query).upper()
    assert "BETWEEN" in sql and "LIKE" not in sql
    assert '"ORGANISATIONS_ORGANISATION"."PATH" BETWEEN' in sql


def test_overlapping_grants_collapse_to_the_outermost_subtree():
    # given grants at a street and at a branch below it, plus one in another street
    q = subtree_q(["00010001", "000100010003", "00010002", "00010001"])
    # then only the two outermost subtrees remain in the query
    ranges = [child[1] for child in q.children]
    assert ranges == [path_range("00010001"), path_range("00010002")]


def test_no_paths_matches_no_rows(world):
    organisation = _model("organisations.Organisation")
    assert organisation.objects.filter(subtree_q([])).count() == 0
    assert organisation.objects.filter(subtree_q([world.district.path])).count() == 8
    assert set(organisation.objects.filter(subtree_q([world.street_a.path, world.branch_a1_1.path]))) == {
        world.street_a,
        world.community_a1,
        world.branch_a1_1,
        world.branch_a1_2,
    }


def test_scope_unions_every_subtree_role_and_collapses_overlaps():
    # given a person who is org admin of a street, secretary of a branch inside it, and of one elsewhere
    scope = Scope(
        user_id=1,
        roles={"org_admin": ("00010001",), "branch_secretary": ("000100010002", "000100020001"), "member": ("00010003",)},
    )
    # then the visible roots are the street and the outside branch; the member grant opens nothing
    assert scope.subtree_paths == ("00010001", "000100020001")
    assert scope.covers_path("0001000100020005")
    assert scope.covers_path("000100020001")
    assert not scope.covers_path("00010002")  # the parent of the outside branch
    assert not scope.covers_path("00010003")  # member grant only


def test_scope_paths_for_named_roles_only():
    scope = Scope(user_id=1, roles={"org_admin": ("00010001",), "branch_secretary": ("000100020001",)})
    assert scope.paths_for("branch_secretary") == ("000100020001",)
    assert scope.covers_path("000100010001", roles=("org_admin",))
    assert not scope.covers_path("000100010001", roles=("branch_secretary",))


def test_anonymous_scope_sees_nothing_and_superuser_everything():
    anonymous = Scope.anonymous()
    assert not anonymous.is_authenticated
    assert anonymous.subtree_paths == ()
    assert not anonymous.covers_path("0001")
    superuser = Scope(user_id=1, is_superuser=True)
    assert superuser.covers_path("0001") and superuser.is_district_admin
    assert superuser.orgs_q() == type(superuser.orgs_q())()  # empty Q: no filter

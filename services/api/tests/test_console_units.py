"""The console's parts alone: session cookies and CSRF tokens, view forms, JSON trees."""

from __future__ import annotations

import time

import msgspec
import pytest

from drift_api.auth import ApiKeys, hash_api_key
from drift_api.console.forms import answer_of, problems_by_widget, widgets_of
from drift_api.console.render import json_tree
from drift_api.console.session import Session, SessionSigner
from drift_models import Problem, View
from drift_models.nodes.instruction import ResumeRules


def test_a_session_survives_its_cookie_and_nothing_forged_does() -> None:
    signer = SessionSigner("pepper")
    session = signer.signed_in("acme", "digest")
    cookie = signer.dump(session)
    assert signer.load(cookie) == session
    body, mac = cookie.split(".")
    assert signer.load(f"{body}.{mac[:-2]}AA") is None
    assert SessionSigner("another pepper").load(cookie) is None
    forged = msgspec.structs.replace(session, tenant="other")
    other_body = signer.dump(forged).split(".")[0]
    assert signer.load(f"{other_body}.{mac}") is None
    for junk in ("", "x", "a.b.c", "!!!.???", "é.é"):
        assert signer.load(junk) is None
    old = Session(sid="s", tenant="acme", digest="d", expires=time.time() - 1)
    assert signer.load(signer.dump(old)) is None


def test_the_csrf_token_belongs_to_one_session() -> None:
    signer = SessionSigner("pepper")
    first, second = signer.anonymous(), signer.anonymous()
    token = signer.csrf_token(first)
    assert signer.csrf_valid(first, token)
    assert not signer.csrf_valid(second, token)
    assert not signer.csrf_valid(first, "")
    assert not signer.csrf_valid(None, token)
    # Signing in makes a new session id: a token from before no longer works.
    assert not signer.csrf_valid(signer.signed_in("acme", "d"), token)


async def test_a_digest_is_checked_like_its_key() -> None:
    keys = ApiKeys(
        [f"acme:k1:{hash_api_key('k', 'p')}"], pepper="p", bootstrap="boot", enabled=True
    )
    assert await keys.identify_digest(keys.digest("k")) == (True, "acme")
    assert await keys.identify_digest(keys.digest("boot")) == (True, None)
    assert await keys.identify_digest(keys.digest("unknown")) == (False, None)
    assert await ApiKeys([], pepper="p", enabled=False).identify_digest("x") == (True, None)


VIEW = msgspec.json.decode(
    b"""{"node": "ask", "layoutId": "l", "inputOptions": [
      {"id": "decision", "description": "Decide", "tags": [{"name": "widget", "value": "buttons"}],
       "possibleValues": [{"displayValue": "Yes", "value": "y"}, {"displayValue": "No", "value": "n"}]},
      {"id": "country", "tags": [{"name": "widget", "value": "dropdown"}],
       "possibleDynamicValues": [{"displayValue": "France", "value": "fr"}, {"displayValue": "Peru", "value": "pe"}]},
      {"id": "city", "parentId": "country", "possibleDependentValues": {
         "fr": [{"displayValue": "Paris", "value": "paris"}],
         "pe": [{"displayValue": "Lima", "value": "lima"}]}},
      {"id": "extras", "possibleValues": [{"displayValue": "A", "value": "a"}, {"displayValue": "B", "value": "b"}]},
      {"id": "size", "possibleValues": [{"displayValue": "S", "value": "s"}]},
      {"id": "note"}
    ]}""",
    type=View,
)


def test_widgets_follow_their_tags_choices_and_rules() -> None:
    rules = ResumeRules(required=("decision", "note"), single=("size", "note"))
    widgets = {w.id: w for w in widgets_of(VIEW, rules)}
    assert {k: w.kind for k, w in widgets.items()} == {
        "decision": "buttons",
        "country": "dropdown",
        "city": "dropdown",
        "extras": "checkbox",
        "size": "radio",
        "note": "text",
    }
    assert widgets["decision"].required
    assert not widgets["extras"].single
    assert [c.label for c in widgets["country"].choices] == ["France", "Peru"]
    assert widgets["city"].parent == "country"
    assert [(c.group, c.value) for c in widgets["city"].choices] == [
        ("fr", "paris"),
        ("pe", "lima"),
    ]
    assert widgets["note"].field == "opt:note"


def test_a_posted_form_is_the_views_answer_and_refusals_find_their_widgets() -> None:
    form = {
        "opt:decision": ["y"],
        "opt:extras": ["a", "b"],
        "opt:note": ["  "],
        "opt:unknown": ["x"],
        "csrf": ["t"],
    }
    answer = answer_of(VIEW, form)
    assert answer.selected_options == {"decision": ["y"], "extras": ["a", "b"]}
    by_widget, general = problems_by_widget(
        [
            Problem(
                path="$.viewResponse.selectedOptions.note", message="needs an answer", code="c"
            ),
            Problem(
                path="$.viewResponse.selectedOptions.extras[1]", message="not a choice", code="c"
            ),
            Problem(path="$.node", message="another view", code="c"),
        ]
    )
    assert by_widget == {"note": ["needs an answer"], "extras": ["not a choice"]}
    assert general == ["another view"]


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", {"<b>": "</ul><img src=x>"}])
def test_json_trees_escape_what_runs_put_in_them(value: object) -> None:
    html = str(json_tree({"out": value, "n": [1, 2.5, None, True], "t": ("x",)}))
    assert "<script>" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "&lt;" in html
    assert '<span class="j-int">1</span>' in html
    assert '<span class="j-key">t</span>: [1]' in html  # a tuple is an array too


def test_a_huge_json_document_is_shown_as_text() -> None:
    html = str(json_tree({"items": list(range(10_000)), "x": "<i>"}))
    assert html.startswith('<pre class="j-text">')
    assert "&lt;i&gt;" in html

"""crmcore's email normalization against ``email-validator`` (syntax only, no DNS).

email-validator runs with ``check_deliverability=False`` and
``allow_smtputf8=False`` (crmcore takes ASCII local parts only). Where both
accept an address, crmcore's form is email-validator's local part lower-cased,
``@``, and its ASCII (IDNA 2008) domain. Where they disagree, the reason is
one of the deliberate differences in docs/reference_checks.md, and nothing
else:

* special-use domains (``.test``, ``.local``, ...): email-validator refuses
  them, crmcore checks syntax and accepts them;
* an all-numeric top-level label (``a@x.123``, ``a@1.2.3.4``): crmcore refuses it;
* ``ß`` and final ``ς`` in a domain: IDNA 2008 encodes them, the standard
  library's IDNA 2003 codec would turn them into other letters, so crmcore
  refuses them; so it does digits of other scripts;
* ASCII labels with ``--`` in third and fourth place (``ab--c``): IDNA
  reserves them, email-validator refuses them, crmcore accepts them.
"""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.customers import normalize_email
from crmcore.testing.strategies import email_addresses

#: Characters IDNA 2008 keeps and IDNA 2003 maps to others.
DEVIATIONS = "\u00df\u03c2"
ATOM = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
LABEL_CHARS = (
    string.ascii_letters + string.digits + "-_" + "äöüéçñİıøşиягдσς\u00df\u00ad\u200d☃€٣ﬁＡب"
)
TLDS = ["com", "co.id", "ID", "de", "xn--p1ai", "рф", "123", "test", "local", "localhost", "onion"]


def crm(text):
    """The form crmcore gives ``text``, or None where crmcore refuses it."""
    try:
        return normalize_email(text)
    except ValidationError:
        return None


def validated(ev, text):
    """email-validator's result for ``text``: syntax only, ASCII local parts, no DNS."""
    return ev.validate_email(
        text, check_deliverability=False, allow_smtputf8=False, globally_deliverable=False
    )


def reference(ev, text):
    """email-validator's form of ``text`` (local part lower-cased, ASCII domain), or None."""
    try:
        valid = validated(ev, text)
    except ev.EmailNotValidError:
        return None
    return f"{valid.local_part.lower()}@{valid.ascii_domain}"


def special_use(ev, address):
    """True if the domain of ``address`` is or ends in a special-use name."""
    domain = address.rpartition("@")[2].lower()
    return any(
        domain == name or domain.endswith("." + name) for name in ev.SPECIAL_USE_DOMAIN_NAMES
    )


def reserved(address):
    """True if ``address`` has an ASCII label with ``--`` in third and fourth place (not xn--)."""
    labels = address.rpartition("@")[2].split(".")
    return any(label[2:4] == "--" and not label.startswith("xn--") for label in labels)


def explained(ev, text, ours, theirs):
    """True if crmcore and email-validator agree on ``text``, or differ for a documented reason."""
    if ours == theirs:
        return True
    if ours is not None and theirs is None:
        return special_use(ev, ours) or reserved(ours)
    if ours is None and theirs is not None:
        domain = validated(ev, text).domain  # its Unicode form
        return (
            theirs.rpartition(".")[2].isdigit()
            or any(ch in domain for ch in DEVIATIONS)
            or any(not ch.isascii() and ch.isdigit() for ch in domain)
        )
    return False


@st.composite
def addresses(draw):
    """Near-valid addresses: ASCII local parts of either case, domains of mixed scripts."""
    local = ".".join(draw(st.lists(st.text(ATOM, min_size=1, max_size=8), min_size=1, max_size=3)))
    label = st.text(LABEL_CHARS, min_size=1, max_size=10)
    labels = draw(st.lists(label, min_size=1, max_size=3))
    return f"{local}@{'.'.join([*labels, draw(st.sampled_from(TLDS))])}"


@given(addresses())
def test_generated_addresses_agree_or_differ_as_documented(email_validator, text):
    """Accept and refuse alike, with the same normalized form, but for the listed differences."""
    ours, theirs = crm(text), reference(email_validator, text)
    assert explained(email_validator, text, ours, theirs), (ours, theirs)


@given(email_addresses())
def test_crmcores_addresses_are_valid_for_email_validator(email_validator, address):
    """Every address crmcore's strategy draws is valid and unchanged, unless special-use."""
    theirs = reference(email_validator, address)
    if theirs is None:
        assert special_use(email_validator, address) or reserved(address)
    else:
        assert address == theirs


@given(st.sampled_from(["Ana.Putri", "BUDI", "o'Brien+News"]))
def test_the_local_part_is_lower_cased_where_email_validator_keeps_its_case(email_validator, local):
    """Deliberate: crmcore lower-cases the mailbox to make it a lookup key."""
    valid = email_validator.validate_email(f"{local}@Example.COM", check_deliverability=False)
    assert local == valid.local_part
    assert f"{local.lower()}@example.com" == normalize_email(f"{local}@Example.COM")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a@straße.de", "deviation"),
        ("a@ß.de", "deviation"),
        ("a@ς.gr", "deviation"),
        ("a@xn--zca.de", "deviation"),  # the A-label of ß
        ("a@مثال٣.com", "digits of another script"),
        ("a@x.123", "numeric"),
        ("a@1.2.3.4", "numeric"),
    ],
)
def test_the_documented_refusals_are_addresses_email_validator_accepts(
    email_validator, text, reason
):
    """Each documented refusal is an address email-validator accepts (else the list is stale)."""
    assert reference(email_validator, text) is not None, reason
    assert crm(text) is None


@pytest.mark.parametrize(
    "text",
    ["a@ex\u00adample.com", "a@ex\u200dample.com", "a@xn--abc.com", "a@-ä.com", "a@☃.com"],
)
def test_domains_idna_2003_would_misread_are_refused_like_email_validator(email_validator, text):
    """Regression: soft hyphens, joiners, reserved ``--`` and bad A-labels were accepted."""
    assert reference(email_validator, text) is None
    assert crm(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Budi@Bücher.DE", "budi@xn--bcher-kva.de"),
        ("a@XN--BCHER-KVA.de", "a@xn--bcher-kva.de"),
        ("a@example\u3002com", "a@example.com"),
        ("a@x.xn--p1ai", "a@x.xn--p1ai"),
    ],
)
def test_internationalized_domains_agree(email_validator, text, expected):
    """IDNA domains, A-labels of either case and ideographic full stops give one ASCII form."""
    assert expected == reference(email_validator, text)
    assert expected == crm(text)


@pytest.mark.parametrize("address", ["a@b.test", "a@shop.local", "a@localhost"])
def test_special_use_domains_are_accepted_where_email_validator_refuses(email_validator, address):
    """Deliberate: deliverability is not crmcore's question (``localhost`` has no dot, though)."""
    assert reference(email_validator, address) is None
    assert crm(address) == (None if "." not in address else address)


@pytest.mark.parametrize("address", ["a@ab--c.com", "a@shop.xy--z.id"])
def test_reserved_ascii_labels_are_accepted_where_email_validator_refuses(email_validator, address):
    """Deliberate: ``--`` in third and fourth place is an IDNA reservation, not a DNS rule."""
    assert reference(email_validator, address) is None
    assert address == crm(address)

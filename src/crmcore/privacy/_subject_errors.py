"""The refusals of an erasure that the customer decides: erased already, or under legal hold.

:class:`~crmcore.Customer` owns both facts (``is_erased`` and the legal
holds of ``customer.privacy``) and both errors
(:class:`~crmcore.customers.AlreadyErased`,
:class:`~crmcore.customers.ErasureBlocked`); its own ``anonymise`` refuses
with them. :func:`refuse_erasure` asks the same questions of the subject
before an erasure computes anything else, so the refusal names the subject
whatever order the records are gone through in.
"""

from __future__ import annotations

from crmcore.customers import AlreadyErased, Customer, ErasureBlocked


def refuse_erasure(customer: Customer) -> None:
    """Raise if the customer may not be erased: erased already, or under a legal hold.

    Raises:
        AlreadyErased: the customer was erased before (code ``erased``).
        ErasureBlocked: the customer is under at least one legal hold (code
            ``legal_hold``); its ``hold_codes`` name them, sorted.
    """
    if customer.is_erased:
        raise AlreadyErased.of(customer.id)
    holds = customer.privacy.legal_holds
    if holds:
        raise ErasureBlocked.of(customer.id, [hold.code for hold in holds])

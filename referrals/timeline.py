"""Referrals on the patient's timeline: raised, then every decision and who made it (accepted, declined,
redirected, withdrawn, completed). Ward staff see their own wards' referrals only."""

from caseload.timeline import Entry
from referrals.models import ReferralStatus as S
from referrals.selectors import referrals_for


def referrals(*, patient, user):
    # Only what an entry shows (who decided or closed it, the episode it started): each table joined makes the query
    # costlier to plan than to run.
    rows = (
        referrals_for(user=user)
        .filter(patient=patient)
        .select_related(None)
        .select_related("decided_by", "closed_by", "episode")
    )
    entries = []
    for referral in rows:
        entries.append(Entry(referral.received_at, "referral", "raised", referral))
        if referral.decided_at is None:
            continue
        # Declined, redirected or withdrawn before acceptance: one decision that also closed the referral.
        closed_by_decision = referral.status in (S.DECLINED, S.REDIRECTED) or (
            referral.status == S.WITHDRAWN and referral.closed_at == referral.decided_at
        )
        decision = referral.status if closed_by_decision else S.ACCEPTED
        entries.append(Entry(referral.decided_at, "referral", decision, referral))
        if referral.closed_at and not closed_by_decision:
            entries.append(Entry(referral.closed_at, "referral", referral.status, referral))
    return entries

"""Loyalty: programs (earn rates, bonuses, tiers, rewards) and member accounts with a points ledger."""

from crmcore._kernel._ids import LoyaltyAccountId, ProgramId, RewardId
from crmcore.loyalty._account import EARNING_STATUSES, LoyaltyAccount
from crmcore.loyalty._events import (
    LoyaltyAccountAnonymised,
    LoyaltyCustomerRepointed,
    LoyaltyEvent,
    LoyaltyMemberEnrolled,
    LoyaltyMembershipClosed,
    LoyaltyPointsAdjusted,
    LoyaltyPointsEarned,
    LoyaltyPointsExpired,
    LoyaltyPointsRedeemed,
    LoyaltyRewardRedeemed,
    LoyaltyTierChanged,
)
from crmcore.loyalty._ledger import EntryKind, LedgerEntry, PointsLot, PointsTotals, TierChange
from crmcore.loyalty._program import (
    BonusKind,
    BonusRule,
    EarnQuote,
    EarnRate,
    LoyaltyProgram,
    PointsRounding,
    Reward,
    Tier,
    TierBasis,
)

__all__ = [
    "EARNING_STATUSES",
    "BonusKind",
    "BonusRule",
    "EarnQuote",
    "EarnRate",
    "EntryKind",
    "LedgerEntry",
    "LoyaltyAccount",
    "LoyaltyAccountAnonymised",
    "LoyaltyAccountId",
    "LoyaltyCustomerRepointed",
    "LoyaltyEvent",
    "LoyaltyMemberEnrolled",
    "LoyaltyMembershipClosed",
    "LoyaltyPointsAdjusted",
    "LoyaltyPointsEarned",
    "LoyaltyPointsExpired",
    "LoyaltyPointsRedeemed",
    "LoyaltyProgram",
    "LoyaltyRewardRedeemed",
    "LoyaltyTierChanged",
    "PointsLot",
    "PointsRounding",
    "PointsTotals",
    "ProgramId",
    "Reward",
    "RewardId",
    "Tier",
    "TierBasis",
    "TierChange",
]

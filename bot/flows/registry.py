"""The list of flows the engine serves; add a flow here to make it reachable."""

from __future__ import annotations

from bot.flows.base import Flow
from bot.flows.commitments import CommitmentsFlow
from bot.flows.dialogue import DialogueFlow
from bot.flows.eligibility import EligibilityFlow
from bot.flows.events import EventsFlow, UnsubscribeEventsFlow
from bot.flows.help import HelpFlow
from bot.flows.left_out import LeftOutFlow
from bot.flows.menu import MenuFlow
from bot.flows.my_data import DeleteMyDataFlow, MyDataFlow
from bot.flows.office import OfficeFlow
from bot.flows.payment_status import PaymentStatusFlow
from bot.flows.privacy import PrivacyFlow
from bot.flows.staff_broadcast import StaffBroadcastFlow
from bot.flows.staff_cases import StaffCasesFlow
from bot.flows.staff_commitments import StaffCommitmentsFlow
from bot.flows.staff_event import StaffEventFlow
from bot.flows.staff_link import StaffLinkFlow
from bot.flows.staff_stats import StaffStatsFlow
from bot.flows.welcome import LanguageFlow, WelcomeFlow


def build_flows() -> list[Flow]:
    """Returns every flow, the menu first; menu entries appear in this order."""
    flows: list[Flow] = []
    flows.append(MenuFlow(lambda: flows))
    flows.extend(
        [
            PaymentStatusFlow(),
            EligibilityFlow(),
            OfficeFlow(),
            EventsFlow(),
            DialogueFlow(),
            LeftOutFlow(),
            CommitmentsFlow(),
            WelcomeFlow(),
            LanguageFlow(),
            HelpFlow(),
            PrivacyFlow(),
            MyDataFlow(),
            DeleteMyDataFlow(),
            UnsubscribeEventsFlow(),
        ]
    )
    # Staff flows: reachable by command only, never listed in the citizen menu.
    flows.extend(
        [
            StaffLinkFlow(),
            StaffEventFlow(),
            StaffBroadcastFlow(),
            StaffCasesFlow(),
            StaffCommitmentsFlow(),
            StaffStatsFlow(),
        ]
    )
    return flows

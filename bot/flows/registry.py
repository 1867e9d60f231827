"""The list of flows the engine serves; add a flow here to make it reachable."""

from __future__ import annotations

from bot.flows.base import Flow
from bot.flows.citizen.commitments import CommitmentsFlow
from bot.flows.citizen.conditions import ConditionsFlow
from bot.flows.citizen.dialogue import DialogueFlow
from bot.flows.citizen.eligibility import EligibilityFlow
from bot.flows.citizen.events import EventsFlow, UnsubscribeEventsFlow
from bot.flows.citizen.fraud import FraudFlow
from bot.flows.citizen.help import HelpFlow
from bot.flows.citizen.kichwa import KichwaFlow
from bot.flows.citizen.left_out import LeftOutFlow
from bot.flows.citizen.menu import MenuFlow
from bot.flows.citizen.my_case import MyCaseFlow
from bot.flows.citizen.my_data import DeleteMyDataFlow, MyDataFlow
from bot.flows.citizen.office import OfficeFlow
from bot.flows.citizen.payment_status import PaymentStatusFlow
from bot.flows.citizen.person import PersonFlow
from bot.flows.citizen.privacy import PrivacyFlow
from bot.flows.citizen.programme_info import programme_info_flows
from bot.flows.citizen.small_talk import SmallTalkFlow
from bot.flows.citizen.welcome import LanguageFlow, WelcomeFlow
from bot.flows.staff.broadcast import StaffBroadcastFlow
from bot.flows.staff.cases import StaffCasesFlow
from bot.flows.staff.commitments import StaffCommitmentsFlow
from bot.flows.staff.event import StaffEventFlow
from bot.flows.staff.families import StaffFamiliesFlow, StaffInformedFlow
from bot.flows.staff.link import StaffLinkFlow
from bot.flows.staff.stats import StaffStatsFlow


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
            ConditionsFlow(),
            WelcomeFlow(),
            LanguageFlow(),
            HelpFlow(),
            PrivacyFlow(),
            MyDataFlow(),
            DeleteMyDataFlow(),
            UnsubscribeEventsFlow(),
            *programme_info_flows(),
            PersonFlow(),
            FraudFlow(),
            MyCaseFlow(),
            SmallTalkFlow(),
            KichwaFlow(),
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
            StaffFamiliesFlow(),
            StaffInformedFlow(),
        ]
    )
    return flows

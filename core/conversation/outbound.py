"""Unprompted messages (daily reflection, meeting reminder, milestone, schedule heads-up) →
a Reply, so every platform's transport shows them with its usual renderer."""

from __future__ import annotations

from core.conversation.cards import card_buttons_for_reminder, meeting_card
from core.conversation.reflections import reflection_reply
from core.i18n import Translator
from core.outbound import MessageKind, OutboundMessage
from core.replies import Reply
from core.schedule import (
    SittingStatus,
    current_occurrence,
    next_occurrences,
    sitting_on,
    to_occurrence,
)
from core.schedule_text import date_text, sitting_change_text
from core.services import Services


class OutboundComposer:
    """`await composer(message) -> Reply`; shared by every adapter's transport."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, message: OutboundMessage) -> Reply:
        t = Translator(message.language)
        if message.kind is MessageKind.REFLECTION:
            assert message.reflection is not None
            reply = reflection_reply(t, message.reflection, message.local_date)
            reply.blocks.append(t("reflection.unsubscribe_hint"))
            return reply
        if message.kind is MessageKind.REMINDER:
            return await self._reminder(message, t)
        if message.kind is MessageKind.NOTICE:
            return await self._notice(message, t)
        return self._milestone(message, t)

    async def _notice(self, message: OutboundMessage, t: Translator) -> Reply:
        """'Heads-up: “Name”' — 'Thu 10 Jun: cancelled (reason)', '…: moved to 21:00' (with
        the sitting's card, times in the member's zone) or 'back on as usual'."""
        meeting = (await self.services.meetings.get(message.meeting_slug)
                   if message.meeting_slug else None)
        sitting = None if meeting is None else sitting_on(
            meeting.schedule, meeting.days, meeting.start, meeting.end, message.local_date)
        if meeting is None or sitting is None:
            return Reply(lang=t.lang, blocks=[t("remind.meeting_gone")], private=True)
        blocks: list[str] = []
        cards = []
        if sitting.happens:
            occurrence = to_occurrence(meeting, sitting)
            cards.append(meeting_card(t, meeting, occurrence, message.timezone,
                                      at=self.services.clock.now(),
                                      buttons=card_buttons_for_reminder(t, meeting)))
        if sitting.status is SittingStatus.REGULAR:
            blocks.append(t("notice.restored", date=date_text(t, sitting.scheduled),
                            time=f"{meeting.start:%H:%M}"))
        else:
            blocks.append(sitting_change_text(t, meeting, sitting) or "")
            change = sitting.change
            if sitting.status is SittingStatus.MOVED and change is not None:
                if change.place:
                    blocks.append(t("notice.place", place=change.place))
                if change.url:
                    blocks.append(t("notice.link", url=change.url))
            if not sitting.happens:
                blocks.append(t("notice.reminder_stays"))
        blocks.append(t("notice.footer"))
        return Reply(lang=t.lang, title=t("notice.title", name=meeting.name), cards=cards,
                     blocks=blocks, private=True)

    async def _reminder(self, message: OutboundMessage, t: Translator) -> Reply:
        meeting = (await self.services.meetings.get(message.meeting_slug)
                   if message.meeting_slug else None)
        if meeting is None:
            return Reply(lang=t.lang, blocks=[t("remind.meeting_gone")])
        start = message.occurrence_start or self.services.clock.now()
        occurrence = current_occurrence(meeting, start) or next(
            iter(next_occurrences(meeting, start, 1)), None
        )
        if occurrence is None:  # a one-off or ended series with no sitting left
            return Reply(lang=t.lang, blocks=[t("remind.meeting_gone")])
        card = meeting_card(t, meeting, occurrence, message.timezone, at=self.services.clock.now(),
                            buttons=card_buttons_for_reminder(t, meeting))
        return Reply(lang=t.lang, title=t("remind.title", name=meeting.name,
                                          minutes=message.minutes_before or 0),
                     cards=[card], blocks=[t("remind.footer")])

    @staticmethod
    def _milestone(message: OutboundMessage, t: Translator) -> Reply:
        milestone = message.milestone
        label = t(f"sobriety.milestone.{milestone.unit}", count=milestone.count) if milestone \
            else t("sobriety.days", days=message.sober_days or 0)
        return Reply(lang=t.lang, title=t("sobriety.milestone_title", milestone=label),
                     blocks=[t("sobriety.milestone_body", days=message.sober_days or 0)],
                     private=True)

"""Every write of deliberation and disclosure (see each submodule's docstring). Pages, the
API, the CLI and tasks call these, so they behave the same."""

from shanzhi.deliberation.services.matters import (
    matter_create,
    matter_disclose_resolution,
    matter_disclose_result,
    matter_end,
    matter_record_meeting,
    next_stage,
    topic_convert,
)
from shanzhi.deliberation.services.notices import (
    calendar_adopt_standard,
    notice_attach,
    notice_post,
    notice_take_down,
    requirement_add,
    requirement_retire,
)
from shanzhi.deliberation.services.rankings import (
    indicator_reading_enter,
    red_black_list_adjust,
    red_black_list_compute,
    red_black_list_publish,
)
from shanzhi.deliberation.services.rules_of_village import village_rules_update
from shanzhi.deliberation.services.topics import (
    comment_hide,
    comment_unhide,
    meeting_record,
    topic_close,
    topic_comment,
    topic_hide,
    topic_raise,
    topic_reopen,
    topic_support,
    topic_unhide,
    topic_unsupport,
)
from shanzhi.deliberation.services.virtue import (
    admonition_follow_up,
    admonition_record,
    council_meeting_record,
    role_model_nominate,
    role_model_review,
    role_model_vote_open,
    role_models_publish,
)
from shanzhi.deliberation.services.votes import (
    results_final,
    vote_cast,
    vote_create,
    vote_paper_record,
    vote_paper_tally,
    vote_settle_role_models,
)

__all__ = [
    "admonition_follow_up", "admonition_record", "calendar_adopt_standard", "comment_hide", "comment_unhide",
    "council_meeting_record", "indicator_reading_enter", "matter_create", "matter_disclose_resolution",
    "matter_disclose_result", "matter_end", "matter_record_meeting", "meeting_record", "next_stage",
    "notice_attach", "notice_post", "notice_take_down", "red_black_list_adjust", "red_black_list_compute",
    "red_black_list_publish", "requirement_add", "requirement_retire", "results_final", "role_model_nominate",
    "role_model_review", "role_model_vote_open", "role_models_publish", "topic_close", "topic_comment",
    "topic_convert", "topic_hide", "topic_raise", "topic_reopen", "topic_support", "topic_unhide",
    "topic_unsupport", "village_rules_update", "vote_cast", "vote_create", "vote_paper_record",
    "vote_paper_tally", "vote_settle_role_models",
]

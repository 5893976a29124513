from django.urls import path

from shanzhi.deliberation import views

app_name = "deliberation"
urlpatterns = [
    path("", views.index, name="index"),
    # online deliberation
    path("topics/", views.topics, name="topics"),
    path("topics/new/", views.topic_new, name="topic_new"),
    path("topics/<int:pk>/", views.topic, name="topic"),
    path("topics/<int:pk>/comment/", views.topic_comment, name="topic_comment"),
    path("topics/<int:pk>/support/", views.topic_support, name="topic_support"),
    path("topics/<int:pk>/convert/", views.topic_convert, name="topic_convert"),
    path("topics/<int:pk>/<str:step>/", views.topic_moderate, name="topic_moderate"),
    path("comments/<int:pk>/<str:step>/", views.comment_moderate, name="comment_moderate"),
    path("meetings/", views.meetings, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    # matters: the four deliberations and two disclosures, one matter one deliberation
    path("matters/", views.matters, name="matters"),
    path("matters/new/", views.matter_new, name="matter_new"),
    path("matters/<int:pk>/", views.matter, name="matter"),
    path("matters/<int:pk>/stage/", views.matter_stage, name="matter_stage"),
    path("matters/<int:pk>/disclose/<str:which>/", views.matter_disclose, name="matter_disclose"),
    path("matters/<int:pk>/end/", views.matter_end, name="matter_end"),
    # votes
    path("votes/", views.votes, name="votes"),
    path("votes/new/", views.vote_new, name="vote_new"),
    path("votes/<int:pk>/", views.vote, name="vote"),
    path("votes/<int:pk>/cast/", views.vote_cast, name="vote_cast"),
    path("votes/<int:pk>/paper/", views.vote_paper, name="vote_paper"),
    path("votes/<int:pk>/tally/", views.vote_tally, name="vote_tally"),
    path("votes/<int:pk>/settle/", views.vote_settle, name="vote_settle"),
    # notice boards
    path("notices/", views.notices, name="notices"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views.notice, name="notice"),
    path("notices/<int:pk>/take-down/", views.notice_take_down, name="notice_take_down"),
    path("notices/<int:pk>/attach/", views.notice_attach, name="notice_attach"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    # the public boards: no login
    path("board/<str:code>/", views.public_board, name="public_board"),
    path("board/notices/<int:pk>/", views.public_notice, name="public_notice"),
    path("board/notices/<int:pk>/print/", views.public_print, name="public_print"),
    path("board/attachments/<int:pk>/", views.public_attachment, name="public_attachment"),
    # the disclosure calendar
    path("disclosure/late/", views.late, name="late"),
    path("disclosure/calendar/", views.calendar, name="calendar"),
    path("disclosure/calendar/<int:pk>/retire/", views.requirement_retire, name="requirement_retire"),
    # rule of virtue
    path("role-models/", views.role_models, name="role_models"),
    path("role-models/new/", views.role_model_new, name="role_model_new"),
    path("role-models/vote/", views.role_model_vote, name="role_model_vote"),
    path("role-models/publish/", views.role_models_publish, name="role_models_publish"),
    path("role-models/<int:pk>/", views.role_model, name="role_model"),
    path("role-models/<int:pk>/review/", views.role_model_review, name="role_model_review"),
    path("council/", views.council, name="council"),
    path("council/new/", views.council_new, name="council_new"),
    path("council/<int:pk>/", views.council_meeting, name="council_meeting"),
    path("admonitions/<int:pk>/", views.admonition, name="admonition"),
    # the red/black list
    path("red-black-lists/", views.rankings, name="rankings"),
    path("red-black-lists/scores/", views.readings, name="readings"),
    path("red-black-lists/<int:pk>/", views.ranking, name="ranking"),
    path("red-black-lists/<int:pk>/adjust/", views.ranking_adjust, name="ranking_adjust"),
    path("red-black-lists/<int:pk>/publish/", views.ranking_publish, name="ranking_publish"),
    # a village's own rules
    path("rules/<str:code>/", views.rules_page, name="rules"),
]

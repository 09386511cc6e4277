"""The caller's calendar feed URLs: GET shows one, POST replaces it (the old URL dies)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ownership.models import Team

from ..models import FeedToken, Rotation
from ..services.feeds import feed_token_get_or_create, feed_token_regenerate
from ..views import feed_url


class FeedSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FeedToken.Kind.choices)
    team = serializers.CharField(allow_null=True, help_text="Team slug for a team feed.")
    rotation = serializers.IntegerField(allow_null=True, help_text="Rotation id.")
    url = serializers.URLField(help_text="The secret https address; needs no login.")
    webcal_url = serializers.CharField(help_text="The same address for webcal:// subscribing.")
    created_at = serializers.DateTimeField()


FEED_PARAMETERS = [
    OpenApiParameter("team", str, description="A team's rota instead of your own shifts."),
    OpenApiParameter("rotation", int, description="One rotation instead of your own shifts."),
]


class MyFeedView(APIView):
    """Your own calendar feed (or, with ?team= or ?rotation=, your feed of that rota).

    The address is a secret: anyone who has it can read the feed. POST makes a new address
    and the old one stops working at once.
    """

    def _token(self, request, *, create=True):
        team_slug = request.query_params.get("team")
        rotation_id = request.query_params.get("rotation")
        if team_slug and rotation_id:
            raise serializers.ValidationError({"team": "Give either team or rotation, not both."})
        if team_slug:
            team = get_object_or_404(Team, slug=team_slug)
            return feed_token_get_or_create(user=request.user, kind="team", team=team)
        if rotation_id:
            if not rotation_id.isdigit():
                raise serializers.ValidationError({"rotation": "A rotation id is a number."})
            rotation = get_object_or_404(Rotation, pk=int(rotation_id))
            return feed_token_get_or_create(user=request.user, kind="rotation", rotation=rotation)
        return feed_token_get_or_create(user=request.user)

    def _answer(self, request, token, code=status.HTTP_200_OK):
        data = {
            "kind": token.kind,
            "team": token.team.slug if token.team_id else None,
            "rotation": token.rotation_id,
            **feed_url(request, token),
            "created_at": token.created_at,
        }
        response = Response(FeedSerializer(data).data, status=code)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(parameters=FEED_PARAMETERS, responses=FeedSerializer)
    def get(self, request):
        return self._answer(request, self._token(request))

    @extend_schema(parameters=FEED_PARAMETERS, request=None, responses=FeedSerializer)
    def post(self, request):
        token = feed_token_regenerate(token=self._token(request))
        return self._answer(request, token)

"""``/api/v1/me/tokens/``: the caller's personal API tokens (list, create, revoke)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from . import tokens
from .models import ApiTokenInfo


class ApiTokenSerializer(serializers.ModelSerializer):
    """A personal token as listed: never its key."""

    created = serializers.DateTimeField(source="token.created", read_only=True)
    last_used = serializers.DateTimeField(
        source="last_used_at",
        read_only=True,
        allow_null=True,
        help_text="When it last authenticated a request (to the minute), or null.",
    )
    prefix = serializers.CharField(
        source="token.token_key",
        read_only=True,
        help_text="The key's first characters, to tell tokens apart.",
    )

    class Meta:
        model = ApiTokenInfo
        fields = ["id", "name", "created", "last_used", "prefix"]


class NewApiTokenSerializer(ApiTokenSerializer):
    """A token just created: with its key, shown this once."""

    key = serializers.CharField(
        read_only=True,
        help_text="The secret: use it as `Authorization: Token <key>`. Shown only once.",
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


class ApiTokenNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="What the token is for.")


class MyApiTokenListView(generics.ListAPIView):
    """List the caller's API tokens (GET), or create one (POST ``{"name": ...}``)."""

    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        return tokens.api_tokens_of(user=self.request.user)

    @extend_schema(request=ApiTokenNameSerializer, responses={201: NewApiTokenSerializer})
    def post(self, request):
        """Create a token; the answer holds its key, which is never shown again."""
        given = ApiTokenNameSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        info, key = tokens.api_token_create(user=request.user, **given.validated_data)
        info.key = key
        return Response(NewApiTokenSerializer(info).data, status=status.HTTP_201_CREATED)


class MyApiTokenView(generics.GenericAPIView):
    """Revoke one of the caller's API tokens (DELETE); it stops working at once (on the
    hot path of other processes within ``ROTA_HOT_PATH_CHECK_SECONDS``)."""

    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        try:
            tokens.api_token_revoke(user=request.user, token_id=pk)
        except ApiTokenInfo.DoesNotExist:
            raise NotFound("You have no API token with this id.") from None
        return Response(status=status.HTTP_204_NO_CONTENT)

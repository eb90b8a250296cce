from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes

from apps.core.schema import ERROR_RESPONSES

if TYPE_CHECKING:
    from apps.ingest.views import ReceiverView


class ReceiverSchema(AutoSchema):
    """Describes a receiver route from its input serializer; answers are JSON objects or the
    error shape."""

    @property
    def receiver_view(self) -> "ReceiverView":
        return cast("ReceiverView", self.view)

    def get_request_serializer(self) -> Any:
        return getattr(self.receiver_view.receiver_class, "serializer_class", None)

    def get_response_serializers(self) -> Any:
        return {
            200: OpenApiTypes.OBJECT,
            201: OpenApiTypes.OBJECT,
            202: OpenApiTypes.OBJECT,
            **ERROR_RESPONSES,
        }

    def get_auth(self) -> list[dict[str, list[str]]]:
        """The receiver's declared authentication: each alternative a set of schemes sent
        together, so Swagger's "Try it out" sends the credential where the route reads it."""
        authentication = getattr(self.view, "declared_authentication", lambda: None)()
        if authentication is None:
            return []
        requirements: list[dict[str, list[str]]] = []
        for schemes in authentication.security():
            for scheme in schemes:
                self.registry.register_on_missing(
                    ResolvedComponent(
                        name=scheme.name,
                        type=ResolvedComponent.SECURITY_SCHEMA,
                        object=scheme.identity or scheme.name,
                        schema=scheme.definition,
                    )
                )
            requirements.append({scheme.name: [] for scheme in schemes})
        return requirements

    def get_tags(self) -> list[str]:
        return ["ingestion"]

    # drf-spectacular's AutoSchema narrows the signature of DRF's ViewInspector method (and
    # ignores the same error); this follows AutoSchema.
    def get_description(self) -> str:  # type: ignore[override]
        doc = (self.receiver_view.receiver_class.__doc__ or "").strip()
        return doc or super().get_description()

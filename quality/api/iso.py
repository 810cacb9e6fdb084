"""The quality system's API under /api/v1/, scoped as its pages are:

- `GET /documents/`, `/documents/{id}/`: controlled documents the caller may read (the quality
  department all; a department head their departments', drafts included; staff the documents
  in force of their departments), each with the version in force and whether the caller must
  acknowledge it and has. `POST /documents/{id}/acknowledge/` records the caller's "read and
  understood" of the version in force: 201, again 200; 409 when none is in force; 403 when it
  does not apply to the caller.
- `GET /documents/acknowledgements/mine/`: the caller's own acknowledgements.
- `GET /audits/`, `/audits/{id}/`: the quality department all, a head their departments', an
  auditor the audits they are on; with findings.
- `GET /objectives/`: the quality department all, a head their departments'; with the latest
  reviews.
- `GET /training/mine/`: the caller's own training record and qualifications.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from quality import audits, documents, objectives, training
from quality.api.views import service_error_response
from quality.models import (
    AuditFinding,
    ControlledDocument,
    DocumentAcknowledgement,
    DocumentVersion,
    ObjectiveReview,
)

TAGS = ["quality system"]


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "number",
            "status",
            "effective_from",
            "retired_on",
            "text",
            "text_en",
            "change_note",
        ]


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    title_en = serializers.CharField()
    department = serializers.IntegerField(source="department_id")
    owner = serializers.CharField(source="owner.username")
    review_due = serializers.DateField(allow_null=True)
    review_overdue = serializers.BooleanField()
    withdrawn = serializers.BooleanField(source="is_withdrawn")
    effective = VersionSerializer(allow_null=True)
    must_acknowledge = serializers.BooleanField()
    acknowledged = serializers.BooleanField()


def _with_me(user, rows):
    """Add must_acknowledge / acknowledged for the caller (one query for all the rows)."""
    effective_ids = [d.effective.pk for d in rows if d.effective]
    mine = set(
        DocumentAcknowledgement.objects.filter(version_id__in=effective_ids, user=user).values_list(
            "version_id", flat=True
        )
    )
    for document in rows:
        version = document.effective
        if version is not None:
            version.document = document
        document.must_acknowledge = bool(version and documents.must_acknowledge(user, version))
        document.acknowledged = bool(version and version.pk in mine)
    return rows


@extend_schema(
    tags=TAGS,
    summary="Controlled documents the caller may read",
    responses=DocumentSerializer(many=True),
)
class DocumentList(generics.ListAPIView):
    serializer_class = DocumentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ControlledDocument.objects.none()
        # A list, annotated for the caller: four queries whatever the number of documents.
        return _with_me(self.request.user, documents.document_list(self.request.user))


def _document(request, pk):
    document = documents.document_get(request.user, pk)
    if document.effective is not None:
        document.effective = DocumentVersion.objects.get(pk=document.effective.pk)
    return _with_me(request.user, [document])[0]


@extend_schema(tags=TAGS, summary="One controlled document", responses=DocumentSerializer)
class DocumentDetail(APIView):
    def get(self, request, pk: int):
        return Response(DocumentSerializer(_document(request, pk)).data)


@extend_schema(
    tags=TAGS,
    summary="Acknowledge the version in force",
    request=None,
    responses={200: DocumentSerializer, 201: DocumentSerializer},
)
class DocumentAcknowledge(APIView):
    def post(self, request, pk: int):
        document = _document(request, pk)
        if document.effective is None:
            return Response(
                {"detail": "No version of this document is in force.", "errors": {}},
                status=status.HTTP_409_CONFLICT,
            )
        try:
            _row, created = documents.acknowledge(actor=request.user, version=document.effective)
        except documents.DocumentError as error:
            return service_error_response(error)
        document = _document(request, pk)
        return Response(
            DocumentSerializer(document).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AcknowledgementSerializer(serializers.ModelSerializer):
    document = serializers.IntegerField(source="version.document_id")
    number = serializers.CharField(source="version.document.number")
    version = serializers.IntegerField(source="version.number")

    class Meta:
        model = DocumentAcknowledgement
        fields = ["document", "number", "version", "at"]


@extend_schema(tags=TAGS, summary="The caller's own acknowledgements")
class MyAcknowledgements(generics.ListAPIView):
    serializer_class = AcknowledgementSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DocumentAcknowledgement.objects.none()
        return (
            DocumentAcknowledgement.objects.filter(user=self.request.user)
            .select_related("version__document")
            .order_by("-at")
        )


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditFinding
        fields = ["id", "clause", "kind", "text", "evidence"]


class AuditSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    year = serializers.IntegerField(source="programme.year")
    department = serializers.IntegerField(source="department_id")
    date = serializers.DateField(source="planned_date")
    scope = serializers.CharField()
    clauses = serializers.ListField(source="clause_list", child=serializers.CharField())
    auditors = serializers.SerializerMethodField()
    status = serializers.CharField()
    summary = serializers.CharField()
    findings = FindingSerializer(many=True)

    def get_auditors(self, audit) -> list[str]:
        return [u.username for u in audit.auditors.all()]


def _audits(user):
    return audits.audits_for(user).prefetch_related(
        "auditors", Prefetch("findings", queryset=AuditFinding.objects.order_by("clause", "pk"))
    )


@extend_schema(tags=TAGS, summary="Internal audits the caller may see")
class AuditList(generics.ListAPIView):
    serializer_class = AuditSerializer

    def get_queryset(self):
        return _audits(self.request.user).order_by("-planned_date", "pk")


@extend_schema(tags=TAGS, summary="One internal audit")
class AuditDetail(generics.RetrieveAPIView):
    serializer_class = AuditSerializer

    def get_queryset(self):
        return _audits(self.request.user)


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = ObjectiveReview
        fields = ["period_start", "period_end", "measured", "sample", "met", "comment"]


class ObjectiveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    department = serializers.IntegerField(source="department_id")
    title = serializers.CharField()
    title_en = serializers.CharField()
    measure = serializers.CharField()
    target = serializers.DecimalField(max_digits=8, decimal_places=2)
    at_least = serializers.BooleanField()
    unit = serializers.CharField()
    frequency = serializers.CharField()
    reviews = ReviewSerializer(many=True, source="recent_reviews")


@extend_schema(tags=TAGS, summary="Quality objectives with their latest reviews")
class ObjectiveList(generics.ListAPIView):
    serializer_class = ObjectiveSerializer

    def get_queryset(self):
        return (
            objectives.objectives_for(self.request.user)
            .filter(active=True)
            .prefetch_related(
                Prefetch(
                    "reviews",
                    queryset=ObjectiveReview.objects.order_by("-period_start"),
                    to_attr="recent_reviews",
                )
            )
            .order_by("department__code", "pk")
        )


class TrainingRowSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    topic = serializers.CharField()
    kind = serializers.CharField()
    date = serializers.DateField()
    score = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)


class QualificationRowSerializer(serializers.Serializer):
    kind = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()


class MyTrainingSerializer(serializers.Serializer):
    trainings = TrainingRowSerializer(many=True)
    qualifications = QualificationRowSerializer(many=True)


@extend_schema(
    tags=TAGS, summary="The caller's own training record", responses=MyTrainingSerializer
)
class MyTraining(APIView):
    def get(self, request):
        record = training.record_of(request.user)
        # Through the serializer, so that the answer is what the schema says (a score is a
        # decimal string, as every decimal in the API).
        return Response(
            MyTrainingSerializer(
                {
                    "trainings": [
                        {
                            "session": row.session_id,
                            "topic": row.session.topic,
                            "kind": row.session.kind,
                            "date": row.session.date,
                            "score": row.score,
                            "passed": row.passed,
                        }
                        for row in record["trainings"]
                    ],
                    "qualifications": [
                        {"kind": q.kind, "valid_from": q.valid_from, "valid_until": q.valid_until}
                        for q in record["qualifications"]
                    ],
                }
            ).data
        )

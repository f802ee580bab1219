"""GraphQL documents shared by the API tests."""

SEGMENT_FIELDS = """
  id technicalName name description type fql url teamId isDefault editableBy
  rules { include { field operator value } exclude { field operator value } }
  links { id type targetId }
  estimatedSize estimatedSizeUpdatedAt createdAt updatedAt
"""

CREATE = f"""
mutation Create($input: CreateSegmentInput!) {{
  createSegment(input: $input) {{
    segment {{ {SEGMENT_FIELDS} }}
    userErrors {{ field path message code }}
  }}
}}"""

UPDATE = f"""
mutation Update($id: ID!, $input: UpdateSegmentInput!) {{
  updateSegment(id: $id, input: $input) {{
    segment {{ {SEGMENT_FIELDS} }}
    userErrors {{ field path message code }}
  }}
}}"""

DELETE = """
mutation Delete($id: ID!) {
  deleteSegment(id: $id) { deletedId userErrors { field message code } }
}"""

GET = f"""
query Get($id: ID!) {{ segment(id: $id) {{ {SEGMENT_FIELDS} }} }}"""

LIST = """
query List($first: Int, $after: String, $filter: SegmentFilter) {
  segments(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id name type teamId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

ATTACH = """
mutation Attach($segmentId: ID!, $link: SegmentLinkInput!) {
  attachSegmentLink(segmentId: $segmentId, link: $link) {
    segment { id links { id type targetId } updatedAt }
    userErrors { field message code }
  }
}"""

DETACH = """
mutation Detach($segmentId: ID!, $linkId: ID!) {
  detachSegmentLink(segmentId: $segmentId, linkId: $linkId) {
    segment { id links { id type targetId } }
    userErrors { field message code }
  }
}"""

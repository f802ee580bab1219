"""GraphQL documents for the user and membership tests."""

USER_FIELDS = """id email emailHash userAgentId userAccountId compartmentId tier points xp coins
badges customFields createdAt updatedAt"""

UPSERT = f"""
mutation Upsert($users: [UserInput!]!) {{
  upsertUsers(users: $users) {{
    users {{ {USER_FIELDS} }}
    userErrors {{ field path message code }}
  }}
}}"""

MEMBERSHIP_FIELDS = """segment { id } isMember state source override listed expiresAt weight
dataBag referenceId description statusChangeTimestamp"""

SET_STATUS = f"""
mutation Set($input: SetUserStatusInput!) {{
  setUserStatus(input: $input) {{
    applied
    membership {{ {MEMBERSHIP_FIELDS} }}
    user {{ id }}
    userErrors {{ field message code }}
  }}
}}"""

SET_STATUSES = f"""
mutation SetMany($inputs: [SetUserStatusInput!]!) {{
  setUserStatuses(inputs: $inputs) {{
    results {{ applied membership {{ {MEMBERSHIP_FIELDS} }} user {{ id }} }}
    userErrors {{ field message code }}
  }}
}}"""

ADD_USERS = f"""
mutation Add($segmentId: ID!, $users: [SegmentUserInput!]!) {{
  addSegmentUsers(segmentId: $segmentId, users: $users) {{
    segment {{ id }}
    memberships {{ {MEMBERSHIP_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""

REMOVE_USERS = f"""
mutation Remove($segmentId: ID!, $users: [String!]!) {{
  removeSegmentUsers(segmentId: $segmentId, users: $users) {{
    memberships {{ {MEMBERSHIP_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""

MEMBERS = """
query Members($id: ID!, $first: Int, $after: String) {
  segment(id: $id) {
    userCount
    members(first: $first, after: $after) {
      totalCount
      edges { cursor node { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""

USER = f"""
query User($id: String!) {{
  user(id: $id) {{
    id email
    segments {{ id }}
    memberships {{ {MEMBERSHIP_FIELDS} }}
  }}
}}"""

CHECK = f"""
query Check($userId: String!, $segmentIds: [ID!]!) {{
  membership(userId: $userId, segmentIds: $segmentIds) {{
    user {{ id }}
    memberships {{ {MEMBERSHIP_FIELDS} }}
  }}
}}"""

SEGMENT_HISTORY = """
query History($id: ID!, $first: Int, $after: String) {
  segment(id: $id) {
    history(first: $first, after: $after) {
      totalCount
      edges { cursor node { segmentId userId action source before { override listed }
                            after { override listed } actorKeyId referenceId description
                            statusChangeTimestamp at } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""

USER_HISTORY = """
query UserHistory($id: String!) {
  user(id: $id) { history { edges { node { segmentId action source } } } }
}"""

"""The `users` collection: profiles plus each user's explicit segment state (m.s<id>).

The one place that reads and writes a user document: every method gives and takes domain
values (domain/user.User, its Entry values, EntryUpdate), converted here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from pymongo import ASCENDING, ReturnDocument

from seg_graphql.domain.membership import Entry, UserStatus
from seg_graphql.domain.membership_changes import DueUser, EntryUpdate, ExpiryUpdate
from seg_graphql.domain.times import aware_utc, naive_utc
from seg_graphql.domain.user import RULE_ATTRIBUTES, User
from seg_graphql.domain.users import UserProfile, lookup_order
from seg_graphql.store.scoped import TenantCollection


class UserStore:
    def __init__(self, db: Any, tenant: str, *, max_batch: int = 10_000) -> None:
        self._users = TenantCollection(db["users"], tenant)
        self.tenant = tenant
        self._max_batch = max_batch

    async def upsert_profiles(self, profiles: Sequence[UserProfile], now: datetime) -> None:
        """One bulk write for the batch; ordered because FerretDB v1 has no unordered updates."""
        stamp = naive_utc(now)
        updates = []
        for profile in profiles:
            fields = profile_set(profile)
            created = fields.pop("createdAt", None)
            update: dict[str, Any] = {
                "$set": {**fields, "updatedAt": stamp},
                "$setOnInsert": {"userId": profile.user_id},
            }
            if created is not None:
                update["$set"]["createdAt"] = created
            else:
                update["$setOnInsert"]["createdAt"] = stamp
            updates.append(({"userId": profile.user_id}, update, True))
        if updates:
            await self._users.bulk_update(updates, self._max_batch)

    async def get_many(self, user_ids: Iterable[str]) -> dict[str, User]:
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        docs = await self._users.find({"userId": {"$in": ids}}, {"_id": False}).to_list(None)
        return {doc["userId"]: user_of(doc) for doc in docs}

    async def owners(self, wanted: Mapping[str, Iterable[Any]]) -> dict[tuple[str, Any], str]:
        """Which userId holds each value of each unique identifier (UserProfile.identifiers'
        names), in one query."""
        stored = {_IDENTIFIER[name]: values for name, values in wanted.items()}
        clauses = _any_of(stored)
        if not clauses:
            return {}
        projection = {"_id": False, "userId": True, **{field: True for field in stored}}
        docs = await self._users.find({"$or": clauses}, projection).to_list(None)
        return {
            (name, doc[_IDENTIFIER[name]]): doc["userId"]
            for doc in docs
            for name in wanted
            if doc.get(_IDENTIFIER[name]) is not None
        }

    async def resolve(self, user: str) -> User | None:
        """The user an argument names (email or userId), in one query; see lookup_order."""
        order = _stored_order(user)
        docs = (
            await self._users.find({"$or": [{f: v} for f, v in order]}, {"_id": False})
            .limit(10)
            .to_list(10)
        )
        for field, value in order:
            for doc in sorted(docs, key=lambda d: d["userId"]):
                if doc.get(field) == value:
                    return user_of(doc)
        return None

    async def resolve_many(self, refs: Sequence[str]) -> dict[str, User]:
        """Each user argument mapped to its user, in one query (missing ones left out)."""
        orders = {ref: _stored_order(ref) for ref in refs}
        by_field: dict[str, set[str]] = {}
        for order in orders.values():
            for field, value in order:
                by_field.setdefault(field, set()).add(value)
        if not by_field:
            return {}
        docs = await self._users.find({"$or": _any_of(by_field)}, {"_id": False}).to_list(None)
        index = {
            (field, doc.get(field)): doc
            for doc in sorted(docs, key=lambda d: d["userId"], reverse=True)
            for field in by_field
        }
        found: dict[str, User] = {}
        users: dict[str, User] = {}  # one User per document, however many refs name it
        for ref, order in orders.items():
            for field, value in order:
                if (field, value) in index:
                    doc = index[(field, value)]
                    user = users.get(doc["userId"])
                    if user is None:
                        user = users[doc["userId"]] = user_of(doc)
                    found[ref] = user
                    break
        return found

    async def page(self, query: Mapping[str, Any], *, after: str | None, limit: int) -> list[User]:
        where = dict(query)
        if after is not None:
            where = (
                {"$and": [where, {"userId": {"$gt": after}}]}
                if where
                else {"userId": {"$gt": after}}
            )
        cursor = self._users.find(where, {"_id": False}).sort("userId", ASCENDING).limit(limit)
        return [user_of(doc) for doc in await cursor.to_list(limit)]

    async def everyone(self) -> list[User]:
        """Every user of the tenant (for in-memory evaluation on the embedded store only)."""
        return [user_of(doc) for doc in await self._users.find({}, {"_id": False}).to_list(None)]

    async def count(self, query: Mapping[str, Any]) -> int:
        return await self._users.count_documents(dict(query))

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> list[Any]:
        cursor = await self._users.aggregate(pipeline)
        return await cursor.to_list(None)

    async def facet(self, branches: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[Any]]:
        """Several sub-pipelines in ONE command ($facet), where the server has $facet."""
        cursor = await self._users.aggregate([{"$facet": dict(branches)}])
        docs = await cursor.to_list(None)
        return docs[0] if docs else {name: [] for name in branches}

    async def write_entries(self, updates: Sequence[EntryUpdate]) -> None:
        """Unconditional entry updates (list changes), in order, in ordered bulk writes."""
        writes = [({"userId": u.user_id}, _entry_update(u), u.create is not None) for u in updates]
        if writes:
            await self._users.bulk_update(writes, self._max_batch)

    async def write_entry_if_newer(self, update: EntryUpdate) -> User | None:
        """Applies the update only over an older version of the entry (or none); returns the
        user as it was before, or None when a newer (or the same) change is stored."""
        version = f"{entry_path(update.segment_id)}.version"
        before = await self._users.find_one_and_update(
            {
                "userId": update.user_id,
                "$or": [{version: {"$lt": update.newer_than}}, {version: None}],
            },
            _entry_update(update),
            return_document=ReturnDocument.BEFORE,
        )
        return user_of(before) if before is not None else None

    async def expire_entries(self, update: ExpiryUpdate) -> bool:
        """Takes the user off the expired lists if no other sweep did it first (the user's
        next expiry is still the one read); whether this sweep's update landed."""
        fields: dict[str, Any] = {f"{entry_path(i)}.listed": False for i in update.segment_ids}
        fields["nextExpiry"] = _stored(update.next_expiry)
        result = await self._users.update_one(
            {"userId": update.user_id, "nextExpiry": _stored(update.seen_next_expiry)},
            {"$set": fields},
        )
        return result.modified_count == 1

    async def exists(self, user_id: str) -> bool:
        return await self._users.count_documents({"userId": user_id}, limit=1) > 0

    async def remove_segment(self, segment_id: int) -> None:
        await self._users.update_many(
            {"segs": segment_id},
            {"$unset": {f"m.s{segment_id}": ""}, "$pull": {"segs": segment_id}},
        )

    async def find_by_identifiers(self, keys: Iterable[tuple[str, Any]]) -> list[User]:
        """Users holding any of the import identifiers ('account' (compartment, account),
        'emailHash', 'userAgentId'), in one query; each clause fits an index (accounts may
        over-match across compartments: the caller matches pairs)."""
        wanted: dict[str, set[Any]] = {}
        for field, value in keys:
            if field == "account":
                wanted.setdefault("compartmentId", set()).add(value[0])
                wanted.setdefault("userAccountId", set()).add(value[1])
            else:
                wanted.setdefault(field, set()).add(value)
        clauses: list[dict[str, Any]] = []
        if "userAccountId" in wanted:
            clauses.append(
                {
                    "compartmentId": {"$in": sorted(wanted.pop("compartmentId"))},
                    "userAccountId": {"$in": sorted(wanted.pop("userAccountId"))},
                }
            )
        clauses += _any_of(wanted)
        if not clauses:
            return []
        docs = await self._users.find({"$or": clauses}, {"_id": False}).to_list(None)
        return [user_of(doc) for doc in docs]


# ---------------------------------------------------------------- document <-> domain

# Stored profile field -> User attribute (a rule's field names the same stored field).
_PROFILE = (
    ("email", "email"),
    ("emailHash", "email_hash"),
    ("userAgentId", "user_agent_id"),
    ("userAccountId", "user_account_id"),
    ("compartmentId", "compartment_id"),
    ("tier", "tier"),
    ("points", "points"),
    ("xp", "xp"),
    ("coins", "coins"),
    ("badges", "badges"),
    ("customFields", "custom_fields"),
    ("createdAt", "created_at"),
    ("updatedAt", "updated_at"),
)
_RULE_ATTRIBUTE = {key: attr for key, attr in _PROFILE if attr in RULE_ATTRIBUTES}
_RULE_KEYS = frozenset(_RULE_ATTRIBUTE)
_NOTHING_UNSET: frozenset[str] = frozenset()
_NO_ENTRIES: Mapping[int, Entry] = MappingProxyType({})
# Entry attribute -> stored field of m.s<segmentId>
_ENTRY = {
    "override": "override",
    "listed": "listed",
    "expires_at": "expiresAt",
    "weight": "weight",
    "data_bag": "dataBag",
    "version": "version",
    "reference_id": "referenceId",
    "description": "description",
    "status_at": "statusAt",
    "updated_at": "updatedAt",
}
# UserProfile.identifiers' names -> the stored field a second user may not hold too
_IDENTIFIER = {"email": "emailLower", "emailHash": "emailHash", "userAgentId": "userAgentId"}
_LOOKUP = {"email": "emailLower", "userId": "userId"}


def user_of(doc: Mapping[str, Any]) -> User:
    """A stored user as the domain's User: built directly, once per document read (the
    embedded store's in-memory counts read every user of the tenant per request); its
    entries are converted when first asked for."""
    get = doc.get
    missing = _RULE_KEYS - doc.keys()
    unset = frozenset(_RULE_ATTRIBUTE[key] for key in missing) if missing else _NOTHING_UNSET
    raw_entries = get("m")
    return User(
        doc["userId"],
        email=get("email"),
        email_hash=get("emailHash"),
        user_agent_id=get("userAgentId"),
        user_account_id=get("userAccountId"),
        compartment_id=get("compartmentId"),
        tier=get("tier"),
        points=get("points"),
        xp=get("xp"),
        coins=get("coins"),
        badges=get("badges"),
        custom_fields=get("customFields"),
        created_at=aware_utc(get("createdAt")),
        updated_at=aware_utc(get("updatedAt")),
        entries=_StoredEntries(raw_entries) if raw_entries else _NO_ENTRIES,
        unset=unset,
    )


class _StoredEntries(Mapping[int, Entry]):
    """A user document's entries (m.s<segmentId>) by segment id, each converted to an Entry
    the first time it is asked for: evaluating a user for one segment converts one entry."""

    __slots__ = ("_converted", "_raw")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = raw
        self._converted: dict[int, Entry | None] = {}

    def get(self, segment_id: int, default: Any = None) -> Any:  # type: ignore[override]
        converted = self._converted
        if segment_id not in converted:
            converted[segment_id] = _entry_of(self._raw.get(f"s{segment_id}"))
        entry = converted[segment_id]
        return default if entry is None else entry

    def __getitem__(self, segment_id: int) -> Entry:
        entry = self.get(segment_id)
        if entry is None:
            raise KeyError(segment_id)
        return entry

    def __iter__(self) -> Iterator[int]:
        for key, raw in self._raw.items():
            if raw:
                yield int(key.removeprefix("s"))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def entry_path(segment_id: int) -> str:
    """Where a user document keeps its entry of one segment."""
    return f"m.s{segment_id}"


def _entry_of(raw: Mapping[str, Any] | None) -> Entry | None:
    if not raw:
        return None
    get = raw.get
    override = get("override")
    weight = get("weight")
    return Entry(
        override=UserStatus(override) if override else None,
        listed=bool(get("listed")),
        expires_at=aware_utc(get("expiresAt")),
        weight=float(weight) if weight is not None else 1.0,
        data_bag=get("dataBag"),
        version=get("version"),
        reference_id=get("referenceId"),
        description=get("description"),
        status_at=aware_utc(get("statusAt")),
        updated_at=aware_utc(get("updatedAt")),
    )


def _entries(doc: Mapping[str, Any]) -> dict[int, Entry]:
    """A user document's entries (m.s<segmentId>) by segment id, all converted now."""
    raw = doc.get("m")
    return dict(_StoredEntries(raw)) if raw else {}


def profile_set(profile: UserProfile) -> dict[str, Any]:
    """The stored fields an upsert sets or clears (None clears)."""
    return _stored_profile(profile.given())


def _created(user: User) -> dict[str, Any]:
    """A user a list write creates: its id and the profile fields it has."""
    given = {key: getattr(user, attr) for key, attr in _PROFILE}
    return {
        "userId": user.user_id,
        **_stored_profile({key: value for key, value in given.items() if value is not None}),
    }


def _stored_profile(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Profile fields as stored, with the lower-cased email that lookups by email use."""
    out = {key: _stored(value) for key, value in fields.items()}
    if "email" in out:
        out["emailLower"] = out["email"].lower() if out["email"] else None
    return out


def _stored_order(user: str) -> list[tuple[str, str]]:
    return [(_LOOKUP[name], value) for name, value in lookup_order(user)]


def _entry_update(update: EntryUpdate) -> dict[str, Any]:
    path = entry_path(update.segment_id)
    document: dict[str, Any] = {
        "$set": {
            f"{path}.{_ENTRY[name]}": _stored(value) for name, value in update.changes.items()
        },
        "$addToSet": {"segs": update.segment_id},
    }
    if update.lower_next_expiry is not None:
        document["$min"] = {"nextExpiry": naive_utc(update.lower_next_expiry)}
    if update.create is not None:
        document["$setOnInsert"] = _created(update.create)
    return document


def _stored(value: Any) -> Any:
    if isinstance(value, datetime):
        return naive_utc(value)
    if isinstance(value, UserStatus):
        return value.value
    return value


def _any_of(wanted: Mapping[str, Iterable[Any]]) -> list[dict[str, Any]]:
    """One `$in` clause per identifier field, for an indexed `$or` lookup (None left out)."""
    clauses = []
    for field, values in wanted.items():
        present = sorted({v for v in values if v is not None})
        if present:
            clauses.append({field: {"$in": present}})
    return clauses


class DueForExpiry:
    """Users of every tenant with a list entry due to expire (the sweep serves all tenants;
    each user it expires is then written through its own tenant's scope)."""

    def __init__(self, db: Any) -> None:
        self._users = db["users"]

    async def find(self, now: datetime, limit: int) -> dict[str, list[DueUser]]:
        """At most `limit` due users, by tenant."""
        cursor = self._users.find(
            {"nextExpiry": {"$ne": None, "$lte": naive_utc(now)}},
            {"_id": False, "tenant": True, "userId": True, "nextExpiry": True, "m": True},
        ).limit(limit)
        due: dict[str, list[DueUser]] = {}
        for doc in await cursor.to_list(limit):
            user = DueUser(doc["userId"], _entries(doc), aware_utc(doc["nextExpiry"]))
            due.setdefault(doc["tenant"], []).append(user)
        return due

"""User DataLoaders; the context builds one of each per request."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from seg_graphql.domain.user import User
from seg_graphql.services.users import UserService


class UserByIdLoader(DataLoader[str, User | None]):
    def __init__(self, users: UserService) -> None:
        super().__init__(load_fn=self.batch_load)
        self._users = users

    async def batch_load(self, ids: list[str]) -> list[User | None]:
        found = await self._users.get_many(ids)
        return [found.get(i) for i in ids]

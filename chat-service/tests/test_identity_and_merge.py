"""Who a call acts for is proven by a signed token; a guest's rooms move to their account on
login, once, and only with the guest's own token."""

import grpc
import pytest

from tftkit.identity import bearer_metadata
from thefirsttake.chat.v1 import chat_pb2


async def _refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def test_a_bare_or_forged_identity_is_refused(chat):
    from tftkit.testing import TestIdentities

    for metadata in ((), (("x-user-id", "alice"),), TestIdentities().metadata("alice")):
        refused = await _refused(
            chat.stub.ListRooms(chat_pb2.ListRoomsRequest(), metadata=metadata)
        )
        assert refused.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_guests_rooms_become_the_accounts_once(chat):
    guest_token = chat.identities.token("guest-1", guest=True)
    guest = bearer_metadata(guest_token)
    for title in ("소개팅", "면접"):
        await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(title=title), metadata=guest)
    account = chat.identities.metadata("account-1", guest=False)
    merged = await chat.stub.MergeGuestRooms(
        chat_pb2.MergeGuestRoomsRequest(guest_token=guest_token), metadata=account
    )
    assert merged.merged_rooms == 2
    mine = await chat.stub.ListRooms(chat_pb2.ListRoomsRequest(), metadata=account)
    assert sorted(room.title for room in mine.rooms) == ["면접", "소개팅"]
    left = await chat.stub.ListRooms(chat_pb2.ListRoomsRequest(), metadata=guest)
    assert not left.rooms
    # The experts' memory of those rooms went along, asked for with the account's token.
    ((room_ids, metadata),) = chat.panel.adoptions
    assert sorted(room_ids) == sorted(room.id for room in mine.rooms)
    assert dict(metadata)["authorization"] == account[0][1]
    # A replayed merge moves nothing.
    again = await chat.stub.MergeGuestRooms(
        chat_pb2.MergeGuestRoomsRequest(guest_token=guest_token), metadata=account
    )
    assert again.merged_rooms == 0


async def test_a_merge_needs_the_guests_own_token_and_an_account(chat):
    guest = chat.identities.metadata("guest-2")
    await chat.stub.CreateRoom(chat_pb2.CreateRoomRequest(title="하객룩"), metadata=guest)
    account = chat.identities.metadata("account-2", guest=False)
    for token in ("", "not-a-token", chat.identities.token("account-3", guest=False)):
        refused = await _refused(
            chat.stub.MergeGuestRooms(
                chat_pb2.MergeGuestRoomsRequest(guest_token=token), metadata=account
            )
        )
        assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    # A guest cannot take another guest's rooms either.
    other_guest = chat.identities.metadata("guest-3")
    refused = await _refused(
        chat.stub.MergeGuestRooms(
            chat_pb2.MergeGuestRoomsRequest(guest_token=chat.identities.token("guest-2")),
            metadata=other_guest,
        )
    )
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    still = await chat.stub.ListRooms(chat_pb2.ListRoomsRequest(), metadata=guest)
    assert [room.title for room in still.rooms] == ["하객룩"]

"""Many server-streaming calls multiplexed over one bidirectional call.

A caller that holds thousands of streams at once (the gateway, one per browser) would otherwise
hold as many gRPC streams, each costing both ends about 25 KiB and a message per event. Here
the caller opens *listeners* on one long call per connection instead: each listener names a
server-streaming method, its request and the metadata its own call would carry, and the server
runs that method's handler exactly as for a call of its own. Messages of every listener leave
together: what piles up while one response is being written goes out in the next.

The service's proto defines the messages; they must have this shape (see chat.proto):

    request  { oneof request { Open open; uint64 close } }
    Open     { uint64 listener_id; map<string, string> metadata; oneof call { <one per method> } }
    response { repeated {uint64 listener_id; <message> event} events;
               repeated {uint64 listener_id; int32 code; string details;
                         map<string, string> trailing_metadata} ended }

A listener ends as its call would have: the handler's last message, or its abort's status code,
details and trailing metadata. A listener the caller closed ends without a word.
"""

import asyncio
import functools
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from opentelemetry import propagate, trace

from tftkit.grpc_server import GENERIC_ERROR, identify_caller
from tftkit.identity import TokenVerifier
from tftkit.metrics import GRPC_DURATION, GRPC_HANDLED

log = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)

# Messages of this many listeners at most in one response: a response stays a few hundred KiB.
MAX_BATCH = 256
_CODES = {code.value[0]: code for code in grpc.StatusCode}

Handler = Callable[[Any, Any], AsyncIterator[Any]]


@dataclass(frozen=True)
class Method:
    """A server-streaming method a listener may name: its full name (for spans and metrics)
    and its handler, called as gRPC would call it."""

    name: str
    handler: Handler


# -- server ----------------------------------------------------------------------------------


class ListenerAborted(grpc.aio.AbortError):
    """A listener's handler aborted, as `context.abort` ends a call of its own."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


class ListenerContext:
    """What a handler sees of its call when it runs as a listener: the listener's metadata,
    trailing metadata and abort. Handlers of this codebase use nothing else of the context."""

    def __init__(self, metadata: Mapping[str, str]) -> None:
        self._metadata = tuple(metadata.items())
        self.trailing_metadata: tuple[tuple[str, str], ...] = ()

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def set_trailing_metadata(self, metadata: Iterable[tuple[str, str]]) -> None:
        self.trailing_metadata = tuple(metadata)

    async def abort(
        self,
        code: grpc.StatusCode,
        details: str = "",
        trailing_metadata: Iterable[tuple[str, str]] = (),
    ) -> None:
        if trailing_metadata:
            self.set_trailing_metadata(trailing_metadata)
        raise ListenerAborted(code, details)


async def serve_listeners(
    requests: AsyncIterator[Any],
    *,
    methods: Mapping[str, Method],
    response_type: type,
    verifier: TokenVerifier | None,
) -> AsyncIterator[Any]:
    """The responses of one multiplexed call: runs a task per opened listener, the handler of
    the method its `call` field names (`methods` is keyed by those field names), with the
    caller's identity verified from the listener's metadata and its trace continued."""
    outbox: deque[tuple[int, Any]] = deque()
    ready = asyncio.Event()
    tasks: dict[int, asyncio.Task[None]] = {}

    def emit(listener_id: int, item: Any) -> None:
        outbox.append((listener_id, item))
        ready.set()

    async def read() -> None:
        async for request in requests:
            if request.WhichOneof("request") == "open":
                opened = request.open
                if opened.listener_id in tasks:
                    continue  # the caller's mistake; the first listener keeps the id
                tasks[opened.listener_id] = asyncio.create_task(
                    _listen(opened, methods, verifier, emit)
                )
                tasks[opened.listener_id].add_done_callback(
                    lambda _, listener_id=opened.listener_id: forget(listener_id)
                )
            elif (task := tasks.pop(request.close, None)) is not None:
                task.cancel()

    def forget(listener_id: int) -> None:
        tasks.pop(listener_id, None)
        ready.set()

    reader = asyncio.create_task(read())
    reader.add_done_callback(lambda _: ready.set())
    try:
        while True:
            await ready.wait()
            ready.clear()
            while outbox:
                yield _batch(response_type, outbox)
            if reader.done() and not tasks:
                reader.result()  # the request stream's own failure, if any
                return
    finally:
        reader.cancel()
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(reader, *tasks.values(), return_exceptions=True)


def _batch(response_type: type, outbox: deque[tuple[int, Any]]) -> Any:
    response = response_type()
    for _ in range(min(len(outbox), MAX_BATCH)):
        listener_id, item = outbox.popleft()
        if isinstance(item, _Ended):
            ended = response.ended.add(
                listener_id=listener_id, code=item.code.value[0], details=item.details
            )
            ended.trailing_metadata.update(item.trailing_metadata)
        else:
            response.events.add(listener_id=listener_id).event.CopyFrom(item)
    return response


@dataclass(frozen=True)
class _Ended:
    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str], ...]


async def _listen(
    opened: Any,
    methods: Mapping[str, Method],
    verifier: TokenVerifier | None,
    emit: Callable[[int, Any], None],
) -> None:
    listener_id = opened.listener_id
    kind = opened.WhichOneof("call")
    method = methods.get(kind or "")
    context = ListenerContext(opened.metadata)
    name = method.name if method else "unknown"
    code, details = grpc.StatusCode.OK, ""
    started = time.perf_counter()
    # The listener's own span, in the trace its metadata carries (its call's would be).
    with _tracer.start_as_current_span(
        name, context=propagate.extract(dict(opened.metadata)), kind=trace.SpanKind.SERVER
    ):
        try:
            if method is None:
                raise ListenerAborted(grpc.StatusCode.UNIMPLEMENTED, "no such method")
            await identify_caller(context, verifier)
            async for message in method.handler(getattr(opened, kind), context):
                emit(listener_id, message)
        except ListenerAborted as error:
            code, details = error.code, error.details
        except asyncio.CancelledError:
            GRPC_HANDLED.labels(name, grpc.StatusCode.CANCELLED.name).inc()
            raise  # closed by the caller, or the whole call ended: nobody to tell
        except Exception:
            log.exception("unhandled error in %s", name)
            code, details = grpc.StatusCode.INTERNAL, GENERIC_ERROR
    GRPC_HANDLED.labels(name, code.name).inc()
    GRPC_DURATION.labels(name).observe(time.perf_counter() - started)
    emit(listener_id, _Ended(code, details, context.trailing_metadata))


# -- client ----------------------------------------------------------------------------------


class ListenerCall:
    """One listener, used as the server-streaming call it stands for: iterate its messages
    (a failure raises `grpc.aio.AioRpcError` as the call's would), `cancel()` it."""

    __slots__ = ("_end", "_link", "_messages", "_waiter", "deadline", "listener_id")

    def __init__(self, link: "_Link", listener_id: int, deadline: float) -> None:
        self._link = link
        self.listener_id = listener_id
        self.deadline = deadline
        self._messages: deque[Any] = deque()
        self._waiter: asyncio.Future[None] | None = None
        # Set once: makes the StopAsyncIteration, CancelledError or AioRpcError that ends the
        # iteration. A new one for each raise: an exception kept here would hold the frame it
        # was raised in, that frame this listener, a cycle only the garbage collector frees.
        self._end: Callable[[], BaseException] | None = None

    def __aiter__(self) -> "ListenerCall":
        return self

    async def __anext__(self) -> Any:
        while not self._messages:
            if self._end is not None:
                raise self._end()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._messages.popleft()

    def cancel(self) -> bool:
        """Stops listening (the server's handler is cancelled); False when already ended."""
        if self._end is not None:
            return False
        self._link.close(self.listener_id)
        self._messages.clear()  # as a cancelled call's: nothing more is read
        self._finish(asyncio.CancelledError)
        return True

    def _put(self, message: Any) -> None:
        self._messages.append(message)
        self._wake()

    def _finish(self, end: Callable[[], BaseException]) -> None:
        if self._end is None:
            self._end = end
            self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


OpenCall = Callable[[AsyncIterator[Any]], Any]


class _Link:
    """One multiplexed call on one connection, opened when first needed and again after it
    ended."""

    def __init__(self, open_call: OpenCall, request_type: type) -> None:
        self._open_call = open_call
        self._request_type = request_type
        self._listeners: dict[int, ListenerCall] = {}
        self._requests: asyncio.Queue[Any] | None = None
        self._reader: asyncio.Task[None] | None = None

    def open(self, listener: ListenerCall, kind: str, request: Any, metadata: dict) -> None:
        if self._reader is None or self._reader.done():
            self._requests = asyncio.Queue()
            call = self._open_call(_drain(self._requests))
            self._reader = asyncio.create_task(self._read(call))
        assert self._requests is not None
        self._listeners[listener.listener_id] = listener
        message = self._request_type()
        opened = message.open
        opened.listener_id = listener.listener_id
        opened.metadata.update(metadata)
        getattr(opened, kind).CopyFrom(request)
        self._requests.put_nowait(message)

    @property
    def open_listeners(self) -> Iterable[ListenerCall]:
        return self._listeners.values()

    def close(self, listener_id: int) -> None:
        if self._listeners.pop(listener_id, None) is not None and self._requests is not None:
            self._requests.put_nowait(self._request_type(close=listener_id))

    def end(self, listener: ListenerCall, error: Callable[[], BaseException]) -> None:
        self.close(listener.listener_id)
        listener._finish(error)

    async def _read(self, call: Any) -> None:
        error: Callable[[], BaseException] = functools.partial(
            _error, grpc.StatusCode.UNAVAILABLE, "the stream's server left"
        )
        try:
            async for response in call:
                self._deliver(response)
        except grpc.aio.AioRpcError as failure:
            error = functools.partial(
                _error,
                failure.code(),
                failure.details() or "",
                tuple(failure.trailing_metadata() or ()),
            )
        except asyncio.CancelledError:
            error = asyncio.CancelledError
            raise
        finally:
            for listener in self._listeners.values():
                listener._finish(error)
            self._listeners.clear()
            call.cancel()

    def _deliver(self, response: Any) -> None:
        # A method of its own, so no listener stays referenced from the reader's frame.
        for item in response.events:
            if (listener := self._listeners.get(item.listener_id)) is not None:
                listener._put(item.event)
        for ended in response.ended:
            if (listener := self._listeners.pop(ended.listener_id, None)) is not None:
                listener._finish(_ending(ended))

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)


async def _drain(requests: asyncio.Queue[Any]) -> AsyncIterator[Any]:
    while True:
        yield await requests.get()


def _ending(ended: Any) -> Callable[[], BaseException]:
    if ended.code == grpc.StatusCode.OK.value[0]:
        return StopAsyncIteration
    code = _CODES.get(ended.code, grpc.StatusCode.UNKNOWN)
    return functools.partial(_error, code, ended.details, tuple(ended.trailing_metadata.items()))


def _error(
    code: grpc.StatusCode, details: str, trailing: tuple[tuple[str, str], ...] = ()
) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(
        code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailing), details=details
    )


_DEADLINE_EXCEEDED = functools.partial(
    _error, grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"
)


class Multiplexer:
    """The caller's side: listeners spread over one multiplexed call per connection
    (`open_calls`, one each), with a deadline per listener checked by one timer."""

    def __init__(
        self, open_calls: list[OpenCall], *, request_type: type, timeout_seconds: float
    ) -> None:
        self._links = [_Link(open_call, request_type) for open_call in open_calls]
        self._turn = itertools.cycle(self._links)
        self._ids = itertools.count(1)
        self._timeout = timeout_seconds
        self._timer: asyncio.Task[None] | None = None

    def call(self, kind: str, request: Any, metadata: Mapping[str, str]) -> ListenerCall:
        """A listener of method `kind` (the name of the `call` field) with the metadata its
        call would carry; the current trace context is added to it."""
        carrier = dict(metadata)
        propagate.inject(carrier)
        link = next(self._turn)
        deadline = time.monotonic() + self._timeout
        listener = ListenerCall(link, next(self._ids), deadline)
        link.open(listener, kind, request, carrier)
        if self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._expire())
        return listener

    async def _expire(self) -> None:
        # The links hold exactly the listeners still open: an ended one has left its link.
        while any(link.open_listeners for link in self._links):
            await asyncio.sleep(min(1.0, self._timeout))
            now = time.monotonic()
            for link in self._links:
                for listener in list(link.open_listeners):
                    if listener.deadline <= now:
                        link.end(listener, _DEADLINE_EXCEEDED)

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        await asyncio.gather(*(link.aclose() for link in self._links))

"""Results that stream (issue 10): a job's batches go to the client as they come, in
partition order, and a client whose stream broke reattaches and gets the rest — on local
and on local-cluster, in one body each."""

import time
import uuid

import grpc
import pytest
from pyspark.sql import SparkSession
from pyspark.sql.connect.proto import base_pb2, base_pb2_grpc, relations_pb2

from conftest import connect_server

MASTERS = ["local[2]", "local-cluster[2,1,1024]"]


@pytest.fixture(scope="module", params=MASTERS)
def served(request, tmp_path_factory):
    """A session on a server of each master, and the server's URL."""
    with open(tmp_path_factory.mktemp("streaming") / "server.log", "w") as log:
        with connect_server(log, "--master", request.param, "--conf", "spark.sql.shuffle.partitions=8") as (_, url):
            spark = SparkSession.builder.remote(url).create()
            yield spark, url
            spark.stop()


def test_to_local_iterator_returns_the_first_rows_without_computing_the_whole_result(served):
    spark, _ = served
    # 200 million rows (1.6 GB of BIGINT) in 400 partitions: gathering them first would
    # take minutes; only the partitions read, and a few ahead, are computed.
    rows = spark.range(0, 200_000_000, 1, 400).toLocalIterator()
    started = time.monotonic()
    first = [next(rows).id for _ in range(5)]
    elapsed = time.monotonic() - started
    rows.close()
    assert first == [0, 1, 2, 3, 4]
    assert elapsed < 30, f"the first rows took {elapsed:.1f}s"
    # The abandoned job is released; the server goes on answering.
    assert [r.id for r in spark.range(3).collect()] == [0, 1, 2]


def test_show_take_and_limit_compute_only_what_they_return(served, capsys):
    spark, _ = served
    # A trillion rows: only a limit that stops reading early comes back at all.
    huge = spark.range(0, 10**12).selectExpr("id", "id % 7 AS m")
    started = time.monotonic()
    huge.show(3)
    assert [r.id for r in huge.take(4)] == [0, 1, 2, 3]
    assert [(r.id, r.m) for r in huge.limit(2).collect()] == [(0, 0), (1, 1)]
    elapsed = time.monotonic() - started
    assert "only showing top 3 rows" in capsys.readouterr().out
    assert elapsed < 60, f"show, take and limit took {elapsed:.1f}s"


def test_results_arrive_in_partition_order_and_sorted_results_in_order(served):
    spark, _ = served
    assert [r.id for r in spark.range(0, 100_000, 1, 50).collect()] == list(range(100_000))
    scrambled = spark.range(0, 50_000, 1, 16).selectExpr("id", "(id * 7919) % 100003 AS k")
    expected = sorted(((i * 7919) % 100003, i) for i in range(50_000))
    assert [(r.k, r.id) for r in scrambled.orderBy("k", "id").collect()] == expected
    descending = [r.id for r in scrambled.orderBy(scrambled.id.desc()).toLocalIterator()]
    assert descending == list(range(49_999, -1, -1))


def test_the_stock_client_reattaches_when_the_server_ends_streams_early(served):
    spark, _ = served
    # Every response stream ends after 64 KiB without ResultComplete: the client
    # reattaches after the last response it saw, many times over one result.
    spark.conf.set("spark.connect.execute.reattachable.senderMaxStreamSize", "64k")
    try:
        got = spark.range(0, 300_000, 1, 6).selectExpr("id", "id * 2 AS twice").collect()
    finally:
        spark.conf.unset("spark.connect.execute.reattachable.senderMaxStreamSize")
    # Each row once (a response skipped or sent twice on a reattach would show); the
    # order of an unordered query's rows is the engine's business.
    assert sorted((r.id, r.twice) for r in got) == [(i, 2 * i) for i in range(300_000)]


def _ids(responses):
    """The `id` column of every Arrow batch among `responses`, in order."""
    import pyarrow as pa

    ids = []
    for response in responses:
        if response.HasField("arrow_batch"):
            with pa.ipc.open_stream(response.arrow_batch.data) as reader:
                for batch in reader:
                    ids.extend(batch.column(0).to_pylist())
    return ids


USER = base_pb2.UserContext(user_id="streaming-test")


def _stub(url):
    """A channel to the server at `url` and the Spark Connect stub over it."""
    channel = grpc.insecure_channel(url.removeprefix("sc://"), options=[("grpc.max_receive_message_length", 1 << 27)])
    return channel, base_pb2_grpc.SparkConnectServiceStub(channel)


def _execute_range(stub, session_id, operation_id, end):
    """A reattachable ExecutePlan of `range(0, end)` in four partitions: its response stream."""
    plan = base_pb2.Plan(root=relations_pb2.Relation(range=relations_pb2.Range(start=0, end=end, step=1, num_partitions=4)))
    options = [base_pb2.ExecutePlanRequest.RequestOption(reattach_options=base_pb2.ReattachOptions(reattachable=True))]
    request = base_pb2.ExecutePlanRequest(
        session_id=session_id, user_context=USER, operation_id=operation_id, plan=plan, request_options=options
    )
    return stub.ExecutePlan(request)


def _reattach(stub, session_id, operation_id, last):
    """Every response of a ReattachExecute after response `last`."""
    request = base_pb2.ReattachExecuteRequest(
        session_id=session_id, user_context=USER, operation_id=operation_id, last_response_id=last
    )
    return list(stub.ReattachExecute(request))


def test_a_reattach_after_a_dropped_connection_replays_from_the_buffer(served):
    _, url = served
    channel, stub = _stub(url)
    session_id, operation_id = str(uuid.uuid4()), str(uuid.uuid4())
    # Keep every sent response for a reattach, however far the stream ran ahead of the
    # three responses read.
    retry = base_pb2.ConfigRequest.Set(
        pairs=[base_pb2.KeyValue(key="spark.connect.execute.reattachable.observerRetryBufferSize", value="64m")]
    )
    stub.Config(
        base_pb2.ConfigRequest(
            session_id=session_id, user_context=USER, operation=base_pb2.ConfigRequest.Operation(set=retry)
        )
    )
    call = _execute_range(stub, session_id, operation_id, 200_000)
    seen = [next(call) for _ in range(3)]
    call.cancel()  # the connection drops after three responses

    def reattach(last):
        return _reattach(stub, session_id, operation_id, last)

    rest = reattach(seen[-1].response_id)
    assert rest[-1].HasField("result_complete")
    assert _ids(seen + rest) == list(range(200_000)), "each row once, in order"
    assert len({r.response_id for r in seen + rest}) == len(seen + rest)

    # Once the client released responses, a reattach before them is refused with
    # Spark's error; one after them still replays.
    stub.ReleaseExecute(
        base_pb2.ReleaseExecuteRequest(
            session_id=session_id,
            user_context=USER,
            operation_id=operation_id,
            release_until=base_pb2.ReleaseExecuteRequest.ReleaseUntil(response_id=rest[0].response_id),
        )
    )
    with pytest.raises(grpc.RpcError, match="INVALID_CURSOR.POSITION_NOT_AVAILABLE"):
        reattach(seen[0].response_id)
    assert _ids(reattach(rest[0].response_id)) == _ids(rest[1:])
    stub.ReleaseExecute(
        base_pb2.ReleaseExecuteRequest(
            session_id=session_id,
            user_context=USER,
            operation_id=operation_id,
            release_all=base_pb2.ReleaseExecuteRequest.ReleaseAll(),
        )
    )
    with pytest.raises(grpc.RpcError, match="INVALID_HANDLE.OPERATION_NOT_FOUND"):
        reattach(rest[0].response_id)
    channel.close()


@pytest.fixture(scope="module", params=MASTERS)
def short_detached_timeout(request, tmp_path_factory):
    """The URL of a server that removes executions no client reads for two seconds."""
    with open(tmp_path_factory.mktemp("detached") / "server.log", "w") as log:
        args = ["--master", request.param, "--conf", "spark.connect.execute.manager.detachedTimeout=2s"]
        with connect_server(log, *args) as (_, url):
            yield url


def test_an_execution_the_client_left_without_releasing_it_is_removed(short_detached_timeout):
    channel, stub = _stub(short_detached_timeout)
    session_id, operation_id = str(uuid.uuid4()), str(uuid.uuid4())
    call = _execute_range(stub, session_id, operation_id, 100_000_000)
    first = next(call)
    call.cancel()  # the client goes away without ReleaseExecute
    time.sleep(6)
    with pytest.raises(grpc.RpcError, match="INVALID_HANDLE.OPERATION_NOT_FOUND"):
        _reattach(stub, session_id, operation_id, first.response_id)
    # A new execution on the same session still answers.
    responses = list(_execute_range(stub, session_id, str(uuid.uuid4()), 10))
    assert responses[-1].HasField("result_complete")
    assert _ids(responses) == list(range(10))
    channel.close()

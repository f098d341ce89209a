"""Bad input never takes the server down (issue 10): malformed and random Spark Connect
requests — bytes that are no protobuf, plans with no relation, unknown relation and
expression types, huge and out-of-range literals, deeply nested plans — each get an error
status, and after each the server still answers a real query."""

import random
import uuid

import grpc
import pytest
from pyspark.sql import SparkSession
from pyspark.sql.connect.proto import base_pb2, base_pb2_grpc, expressions_pb2, relations_pb2

from conftest import connect_server

METHODS = ["ExecutePlan", "AnalyzePlan", "Config"]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """The server process and its host:port, on a server of its own."""
    with open(tmp_path_factory.mktemp("malformed") / "server.log", "w") as log:
        with connect_server(log, "--master", "local[2]") as (process, url):
            yield process, url.removeprefix("sc://")


@pytest.fixture(scope="module")
def channel(endpoint):
    with grpc.insecure_channel(endpoint[1]) as channel:
        yield channel


def _still_serves(endpoint):
    process, address = endpoint
    assert process.poll() is None, "the server process died"
    spark = SparkSession.builder.remote(f"sc://{address}").create()
    try:
        assert spark.range(5).count() == 5
    finally:
        spark.stop()


def _raw_call(channel, method, payload):
    """Sends `payload` bytes as the request of `method`; returns the gRPC status code."""
    path = f"/spark.connect.SparkConnectService/{method}"
    identity = lambda b: b  # noqa: E731
    try:
        if method == "ExecutePlan":
            list(channel.unary_stream(path, request_serializer=identity, response_deserializer=identity)(payload, timeout=30))
        else:
            channel.unary_unary(path, request_serializer=identity, response_deserializer=identity)(payload, timeout=30)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def _execute(channel, plan):
    """Runs `plan`; returns the gRPC status code of the reply stream."""
    stub = base_pb2_grpc.SparkConnectServiceStub(channel)
    request = base_pb2.ExecutePlanRequest(
        session_id=str(uuid.uuid4()), user_context=base_pb2.UserContext(user_id="test"), plan=plan
    )
    try:
        list(stub.ExecutePlan(request, timeout=60))
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def _root(relation):
    return base_pb2.Plan(root=relation)


def _project(input_relation, *expressions):
    return relations_pb2.Relation(project=relations_pb2.Project(input=input_relation, expressions=list(expressions)))


def _literal(**kwargs):
    return expressions_pb2.Expression(literal=expressions_pb2.Expression.Literal(**kwargs))


def _range(end):
    return relations_pb2.Relation(range=relations_pb2.Range(start=0, end=end, step=1))


@pytest.mark.parametrize("method", METHODS)
def test_bytes_that_are_no_protobuf_get_an_error(channel, endpoint, method):
    assert _raw_call(channel, method, b"\xff\xff\xff\xff not a protobuf") != grpc.StatusCode.OK
    _still_serves(endpoint)


@pytest.mark.parametrize("method", METHODS)
def test_random_requests_get_an_answer_or_an_error(channel, endpoint, method):
    rng = random.Random(method)
    for _ in range(40):
        _raw_call(channel, method, rng.randbytes(rng.randrange(1, 400)))
    _still_serves(endpoint)


BAD_PLANS = {
    "no_plan": base_pb2.Plan(),
    "relation_without_type": _root(relations_pb2.Relation()),
    "expression_without_type": _root(_project(_range(3), expressions_pb2.Expression())),
    "decimal_literal_out_of_range": _root(
        _project(_range(1), _literal(decimal=expressions_pb2.Expression.Literal.Decimal(value="1e400", precision=38, scale=0)))
    ),
    "decimal_literal_not_a_number": _root(
        _project(_range(1), _literal(decimal=expressions_pb2.Expression.Literal.Decimal(value="twelve")))
    ),
    "unknown_function": _root(
        _project(_range(1), expressions_pb2.Expression(
            unresolved_function=expressions_pb2.Expression.UnresolvedFunction(function_name="no_such_function_x")
        ))
    ),
    "sql_syntax_error": _root(relations_pb2.Relation(sql=relations_pb2.SQL(query="SELEKT 1 FROM"))),
    "zero_range_step": _root(relations_pb2.Relation(range=relations_pb2.Range(start=0, end=10, step=0))),
}


@pytest.mark.parametrize("name", sorted(BAD_PLANS))
def test_bad_plans_get_an_error(channel, endpoint, name):
    assert _execute(channel, BAD_PLANS[name]) != grpc.StatusCode.OK
    _still_serves(endpoint)


def _field(number, payload):
    """One length-delimited protobuf field: what the Python library will not nest past
    100 levels, written by hand."""
    def varint(n):
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def test_a_deeply_nested_plan_gets_an_answer_or_an_error(channel, endpoint):
    relation_project = relations_pb2.Relation.DESCRIPTOR.fields_by_name["project"].number
    project_input = relations_pb2.Project.DESCRIPTOR.fields_by_name["input"].number
    relation = _range(2).SerializeToString()
    for _ in range(5000):
        relation = _field(relation_project, _field(project_input, relation))
    request = base_pb2.ExecutePlanRequest(session_id=str(uuid.uuid4()), user_context=base_pb2.UserContext(user_id="t"))
    plan = _field(base_pb2.Plan.DESCRIPTOR.fields_by_name["root"].number, relation)
    payload = request.SerializeToString() + _field(base_pb2.ExecutePlanRequest.DESCRIPTOR.fields_by_name["plan"].number, plan)
    assert _raw_call(channel, "ExecutePlan", payload) != grpc.StatusCode.OK
    _still_serves(endpoint)


def test_a_huge_string_literal_gets_an_answer_or_an_error(channel, endpoint):
    plan = _root(_project(_range(1), _literal(string="x" * 3_000_000)))
    assert _execute(channel, plan) in (grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INVALID_ARGUMENT)
    _still_serves(endpoint)

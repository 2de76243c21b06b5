"""Wire-compatibility probe using Envoy's own generated protobuf code (PyPI xds-protos).

  python wire_compat.py request   prints a fully populated CheckRequest, base64
  python wire_compat.py response  reads a base64 CheckResponse on stdin, prints it as JSON
"""
import base64
import sys

from envoy.service.auth.v3 import external_auth_pb2, attribute_context_pb2
from google.protobuf import json_format


def request() -> bytes:
    check = external_auth_pb2.CheckRequest()
    attributes = check.attributes
    attributes.source.address.socket_address.address = "10.1.2.3"
    attributes.source.address.socket_address.port_value = 40123
    attributes.source.service = "caller"
    attributes.source.labels["team"] = "registry"
    attributes.source.principal = "spiffe://gov.example/ns/civil-registry/sa/api"
    attributes.source.certificate = "-----BEGIN%20CERTIFICATE-----%0AMIIB%0A-----END%20CERTIFICATE-----%0A"
    attributes.destination.address.pipe.path = "/tmp/app.sock"
    attributes.request.time.seconds = 1_790_000_000
    attributes.request.time.nanos = 123
    http = attributes.request.http
    http.id = "1234567890"
    http.method = "POST"
    http.headers["x-request-id"] = "req-42"
    http.headers[":authority"] = "civil-registry.gov.example"
    header = http.header_map.headers.add()
    header.key = "x-tenant"
    header.raw_value = b"gov"
    http.path = "/births/1987-0042?view=full"
    http.host = "civil-registry.gov.example"
    http.scheme = "https"
    http.query = ""
    http.fragment = ""
    http.size = 12
    http.protocol = "HTTP/2"
    http.body = "{\"a\": 1}"
    http.raw_body = b"{\"a\": 1}"
    attributes.context_extensions["building_block"] = "civil-registry"
    attributes.metadata_context.filter_metadata["envoy.filters.http.jwt_authn"].fields["sub"].string_value = "alice"
    attributes.route_metadata_context.filter_metadata["route"].fields["name"].string_value = "births"
    attributes.tls_session.sni = "civil-registry.gov.example"
    return check.SerializeToString()


if __name__ == "__main__":
    if sys.argv[1] == "request":
        print(base64.b64encode(request()).decode())
    else:
        data = base64.b64decode(sys.stdin.read().strip())
        response = external_auth_pb2.CheckResponse()
        response.ParseFromString(data)
        print(json_format.MessageToJson(response, preserving_proto_field_name=True, sort_keys=True))
        # Bytes that survive only as unknown fields would mean we wrote a number or type Envoy
        # does not define: discard them (recursively) and compare sizes.
        known = external_auth_pb2.CheckResponse()
        known.CopyFrom(response)
        known.DiscardUnknownFields()
        print("unknown_bytes=%d" % (len(response.SerializeToString()) - len(known.SerializeToString())))

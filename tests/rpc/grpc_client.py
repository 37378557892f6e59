# A generic gRPC client on Debian's python3-grpcio, for the gRPC interop tests: one unary call with
# the request given as hex bytes (identity serializers: no generated code, so a test can send bytes
# that are not protobuf at all). Prints "ok HEX" or "error CODE_NAME: details"; exits 0 either way
# (1 only for bad usage).
#   python3 grpc_client.py TARGET /package.Service/Method HEX
import sys

import grpc


def main():
    if len(sys.argv) != 4:
        print("usage: grpc_client.py TARGET /package.Service/Method HEX", file=sys.stderr)
        return 1
    target, method, request = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            reply = call(request, timeout=30)
            print("ok " + reply.hex())
        except grpc.RpcError as e:
            print("error %s: %s" % (e.code().name, e.details()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

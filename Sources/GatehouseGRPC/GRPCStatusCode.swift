/// The gRPC status codes Gatehouse answers with (google.rpc.Code): in a CheckResponse's
/// `status` for a decision, and in `grpc-status` trailers for a call the direct transport refuses.
enum GRPCStatusCode: Int32 {
    case ok = 0
    case invalidArgument = 3
    case notFound = 5
    case permissionDenied = 7
    case resourceExhausted = 8
    case unimplemented = 12
    case internalError = 13
    case unavailable = 14
    case unauthenticated = 16
}

import EnvoyAuthAPI
import GatehouseCore
import GatehouseGRPC
import SwiftProtobuf

/// libFuzzer's entry point: one input is one encoded `CheckRequest`.
///
/// The direct transport's reader (`AuthzRequest(encodedCheck:)`) either leaves the bytes to
/// swift-protobuf (`nil`) or gives exactly the request model that swift-protobuf's message and
/// the mapping give; anything else is a crash, and so is any read outside the input (address
/// sanitizer). `CheckRequestReaderTests` runs the same check over seeded mutations in `swift test`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckRequest(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let receivedAt = UnixTime(seconds: 1_700_000_000)
    guard let read = AuthzRequest(encodedCheck: bytes, receivedAt: receivedAt) else { return 0 }
    guard let message = try? Envoy_Service_Auth_V3_CheckRequest(serializedBytes: Array(bytes)) else {
        fatalError("The reader accepted a CheckRequest that swift-protobuf refuses.")
    }
    guard read == AuthzRequest(message, receivedAt: receivedAt) else {
        fatalError("The reader and swift-protobuf read a CheckRequest differently.")
    }
    return 0
}

/// libFuzzer's driver, run from the program's entry point: SwiftPM links an executable target's
/// `main` to `<module>_main`, so libFuzzer's own `main` is never linked in.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("CheckRequestFuzz_main")
public func fuzzMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, fuzzCheckRequest)
}

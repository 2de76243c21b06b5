package import GatehouseCore

extension DecisionEntry {
    /// The record of one check at the front door: Core's ``DecisionEntry/init(_:request:latencyMicroseconds:traceID:)``
    /// with the trace id of a well-formed `traceparent`, the one header besides `x-request-id` a record keeps.
    package init(checked decision: borrowing Decision, request: borrowing AuthzRequest, latencyMicroseconds: UInt64) {
        self.init(
            decision, request: request, latencyMicroseconds: latencyMicroseconds,
            traceID: request.headers["traceparent"]?.first.flatMap(Self.traceID(fromTraceparent:)))
    }

    /// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), or `nil` when the
    /// header is not well formed or the id is all zeros (invalid by the specification).
    package static func traceID(fromTraceparent value: String) -> String? {
        let bytes = value.utf8
        guard bytes.count >= 55 else { return nil }
        var iterator = bytes.makeIterator()
        var version: [UInt8] = []
        var trace: [UInt8] = []
        trace.reserveCapacity(32)
        for index in 0..<55 {
            // `count >= 55` was checked above.
            let byte = iterator.next()!
            switch index {
            case 2, 35, 52: guard byte == UInt8(ascii: "-") else { return nil }
            default:
                guard (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102) else { return nil }
                if index < 2 { version.append(byte) }
                if index >= 3 && index < 35 { trace.append(byte) }
            }
        }
        // Version ff is invalid; version 00 has exactly 55 characters, later versions may add fields after a dash.
        if version == [102, 102] { return nil }
        if version == [48, 48], bytes.count != 55 { return nil }
        if version != [48, 48], bytes.count > 55, iterator.next() != UInt8(ascii: "-") { return nil }
        guard trace.contains(where: { $0 != UInt8(ascii: "0") }) else { return nil }
        return String(decoding: trace, as: UTF8.self)
    }
}

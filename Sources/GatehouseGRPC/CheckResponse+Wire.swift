package import EnvoyAuthAPI
import GRPCCore
package import GatehouseCore
package import NIOCore

/// A decision's `CheckResponse` written straight into a gRPC message frame, for the direct
/// transport: the fields of `Envoy_Service_Auth_V3_CheckResponse(_:decisionID:metadata:)`, without
/// building the message and then encoding it (swift-protobuf's encoding reads the message through
/// a getter per field that copies it, and writes into an array that is copied again into the
/// frame). `CheckResponseWireTests` decodes what this writes and compares it with that message
/// over generated decisions.
extension Envoy_Service_Auth_V3_CheckResponse {
    /// The gRPC frame (uncompressed flag, length, message) of the response to `decision`.
    package static func framed(
        _ decision: borrowing Decision, decisionID: String, metadata: MetadataFields, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var entries: [(key: String, value: String)] = []
        entries.reserveCapacity(metadata.fields.count)
        for field in metadata.fields {
            guard let value = decision.metadataValue(field, decisionID: decisionID) else { continue }
            entries.append((field.rawValue, value))
        }
        // Sizes first: every message is preceded by its length.
        var structSize = 0
        for entry in entries { structSize += Wire.sized(1, Self.entrySize(entry)) }
        let statusSize: Int
        let responseSize: Int
        let grpcCode: Int32
        if decision.isAllowed {
            grpcCode = 0
            statusSize = 0
            responseSize = Self.okSize(decision)
        } else {
            grpcCode = Int32(Self.statusCode(for: decision).rawValue)
            statusSize = Wire.varintField(1, Int64(grpcCode)) + Wire.stringField(2, decision.reason.code)
            responseSize = Self.deniedSize(decision)
        }
        let messageSize = Wire.sized(1, statusSize) + Wire.sized(3, responseSize) + Wire.sized(4, structSize)
        var buffer = allocator.buffer(capacity: 5 + messageSize)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(messageSize))
        // status (google.rpc.Status): always sent, empty on an allow.
        buffer.writeLength(1, statusSize)
        if !decision.isAllowed {
            buffer.writeVarintField(1, Int64(grpcCode))
            buffer.writeStringField(2, decision.reason.code)
        }
        if decision.isAllowed {
            Self.writeOK(decision, size: responseSize, into: &buffer)
        } else {
            Self.writeDenied(decision, size: responseSize, into: &buffer)
        }
        // dynamic_metadata (google.protobuf.Struct): fields, each a map entry of a string Value.
        buffer.writeLength(4, structSize)
        for entry in entries {
            buffer.writeLength(1, Self.entrySize(entry))
            buffer.writeStringField(1, entry.key)
            buffer.writeLength(2, Self.valueSize(entry.value))
            buffer.writeLength(3, entry.value.utf8.count)
            buffer.writeString(entry.value)
        }
        return buffer
    }

    /// A `Value` whose `string_value` is `value`: a oneof case, written even when empty.
    private static func valueSize(_ value: String) -> Int { Wire.sized(3, value.utf8.count) }

    private static func entrySize(_ entry: (key: String, value: String)) -> Int {
        Wire.stringField(1, entry.key) + Wire.sized(2, Self.valueSize(entry.value))
    }

    // MARK: - Allow: ok_response (3)

    private static func okSize(_ decision: borrowing Decision) -> Int {
        var size = 0
        for header in decision.headersToSet { size += Wire.sized(2, Self.headerOptionSize(header)) }
        for name in decision.headersToRemove { size += Wire.sized(5, name.utf8.count) }
        for parameter in decision.queryParametersToSet {
            size += Wire.sized(7, Wire.stringField(1, parameter.name) + Wire.stringField(2, parameter.value))
        }
        for name in decision.queryParametersToRemove { size += Wire.sized(8, name.utf8.count) }
        return size
    }

    private static func writeOK(_ decision: borrowing Decision, size: Int, into buffer: inout ByteBuffer) {
        buffer.writeLength(3, size)
        for header in decision.headersToSet { buffer.writeHeaderOption(2, header) }
        for name in decision.headersToRemove {
            buffer.writeLength(5, name.utf8.count)
            buffer.writeString(name)
        }
        for parameter in decision.queryParametersToSet {
            buffer.writeLength(7, Wire.stringField(1, parameter.name) + Wire.stringField(2, parameter.value))
            buffer.writeStringField(1, parameter.name)
            buffer.writeStringField(2, parameter.value)
        }
        for name in decision.queryParametersToRemove {
            buffer.writeLength(8, name.utf8.count)
            buffer.writeString(name)
        }
    }

    // MARK: - Deny: denied_response (2)

    /// `denied_response.status.code`, mapped as the message's initializer maps it.
    private static func httpStatusCode(_ decision: borrowing Decision) -> Int64 {
        Int64((Envoy_Type_V3_StatusCode(rawValue: Int(decision.status)) ?? .forbidden).rawValue)
    }

    private static func deniedSize(_ decision: borrowing Decision) -> Int {
        var size = Wire.sized(1, Wire.varintField(1, Self.httpStatusCode(decision)))
        for header in decision.headersToSet { size += Wire.sized(2, Self.headerOptionSize(header)) }
        return size + Wire.stringField(3, decision.body)
    }

    private static func writeDenied(_ decision: borrowing Decision, size: Int, into buffer: inout ByteBuffer) {
        buffer.writeLength(2, size)
        let code = Self.httpStatusCode(decision)
        buffer.writeLength(1, Wire.varintField(1, code))
        buffer.writeVarintField(1, code)
        for header in decision.headersToSet { buffer.writeHeaderOption(2, header) }
        buffer.writeStringField(3, decision.body)
    }

    // MARK: - HeaderValueOption

    fileprivate static func appendAction(_ mutation: HeaderMutation) -> Int64 {
        Int64(Self.appendAction(mutation.action).rawValue)
    }

    fileprivate static func headerValueSize(_ mutation: HeaderMutation) -> Int {
        Wire.stringField(1, mutation.name) + Wire.stringField(2, mutation.value)
    }

    fileprivate static func headerOptionSize(_ mutation: HeaderMutation) -> Int {
        Wire.sized(1, Self.headerValueSize(mutation)) + Wire.varintField(3, Self.appendAction(mutation))
    }
}

/// Sizes in protobuf's wire format (field numbers below 16: one-byte tags).
private enum Wire {
    static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (70 - value.leadingZeroBitCount) / 7
    }

    /// A length-delimited field of `length` bytes, written even when empty.
    static func sized(_ number: UInt8, _ length: Int) -> Int {
        1 + Self.varintSize(UInt64(length)) + length
    }

    /// A singular `string` field: absent when empty, as proto3 writes it.
    static func stringField(_ number: UInt8, _ value: String) -> Int {
        value.isEmpty ? 0 : Self.sized(number, value.utf8.count)
    }

    /// A singular varint field (int32, enum): absent when zero; negative values take ten bytes.
    static func varintField(_ number: UInt8, _ value: Int64) -> Int {
        value == 0 ? 0 : 1 + Self.varintSize(UInt64(bitPattern: value))
    }
}

extension ByteBuffer {
    fileprivate mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            self.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        self.writeInteger(UInt8(value))
    }

    /// The tag and length of a length-delimited field whose contents follow.
    fileprivate mutating func writeLength(_ number: UInt8, _ length: Int) {
        self.writeInteger(number << 3 | 2)
        self.writeVarint(UInt64(length))
    }

    fileprivate mutating func writeStringField(_ number: UInt8, _ value: String) {
        guard !value.isEmpty else { return }
        self.writeLength(number, value.utf8.count)
        self.writeString(value)
    }

    fileprivate mutating func writeVarintField(_ number: UInt8, _ value: Int64) {
        guard value != 0 else { return }
        self.writeInteger(number << 3)
        self.writeVarint(UInt64(bitPattern: value))
    }

    /// A `HeaderValueOption`: its `header` always (the message sets it), `append_action` unless 0.
    fileprivate mutating func writeHeaderOption(_ number: UInt8, _ mutation: HeaderMutation) {
        typealias Response = Envoy_Service_Auth_V3_CheckResponse
        self.writeLength(number, Response.headerOptionSize(mutation))
        self.writeLength(1, Response.headerValueSize(mutation))
        self.writeStringField(1, mutation.name)
        self.writeStringField(2, mutation.value)
        self.writeVarintField(3, Response.appendAction(mutation))
    }
}

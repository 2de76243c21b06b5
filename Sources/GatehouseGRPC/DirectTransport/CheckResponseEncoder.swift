import EnvoyAuthAPI
import NIOCore
import SwiftProtobuf

/// The protobuf binary encoding of the `CheckResponse`s Gatehouse builds, written gRPC-framed
/// straight into a `ByteBuffer`: byte for byte what swift-protobuf's `serializedBytes()` gives
/// (the dynamic metadata's entries in the dictionary's own order, as swift-protobuf writes them
/// without deterministic ordering), without its cost. swift-protobuf's generic visitors size every
/// nested message again at each level it is nested in; that was 5.2 % of a cached check's CPU in
/// the profile of 05004a7 (Tests/Benchmarks/README.md, round two).
///
/// Only the fields ``Envoy_Service_Auth_V3_CheckResponse/init(_:decisionID:metadata:)`` sets are
/// written: the status, an OK response's headers, headers to remove and query mutations, a denied
/// response's status, headers and body, and dynamic metadata of string values. For a response
/// with anything else (an `error_response`, response headers to add, a header's `append`,
/// `keep_empty_value` or raw value, metadata that is not a string, unknown fields, a negative
/// code) ``framed(_:allocator:)`` returns nil and the caller encodes with swift-protobuf, so that
/// nothing is ever dropped. The tests hold the two encodings to the same bytes.
enum CheckResponseEncoder {
    /// `response` framed as one gRPC message (flag, length, bytes); nil when it holds a field
    /// this encoder does not write.
    static func framed(_ response: Envoy_Service_Auth_V3_CheckResponse, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard Self.isCovered(response) else { return nil }
        let size = Self.size(of: response)
        var buffer = allocator.buffer(capacity: 5 + size)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(size))
        let start = buffer.writerIndex
        Self.write(response, into: &buffer)
        assert(
            buffer.writerIndex - start == size,
            "CheckResponseEncoder sized \(size) bytes, wrote \(buffer.writerIndex - start)")
        return buffer
    }

    // MARK: - What is covered

    private static func isCovered(_ response: Envoy_Service_Auth_V3_CheckResponse) -> Bool {
        guard response.unknownFields.data.isEmpty else { return false }
        if response.hasStatus {
            let status = response.status
            guard status.code >= 0, status.details.isEmpty, status.unknownFields.data.isEmpty else { return false }
        }
        switch response.httpResponse {
        case nil:
            break
        case .okResponse(let ok)?:
            guard !ok.hasDynamicMetadata, ok.responseHeadersToAdd.isEmpty, ok.unknownFields.data.isEmpty,
                ok.headers.allSatisfy(Self.isCovered),
                ok.queryParametersToSet.allSatisfy({ $0.unknownFields.data.isEmpty })
            else { return false }
        case .deniedResponse(let denied)?:
            guard denied.unknownFields.data.isEmpty, denied.headers.allSatisfy(Self.isCovered) else { return false }
            if denied.hasStatus {
                guard denied.status.code.rawValue >= 0, denied.status.unknownFields.data.isEmpty else { return false }
            }
        case .errorResponse?:
            return false
        }
        if response.hasDynamicMetadata {
            let metadata = response.dynamicMetadata
            guard metadata.unknownFields.data.isEmpty else { return false }
            for value in metadata.fields.values {
                guard case .stringValue? = value.kind, value.unknownFields.data.isEmpty else { return false }
            }
        }
        return true
    }

    private static func isCovered(_ option: Envoy_Config_Core_V3_HeaderValueOption) -> Bool {
        guard !option.hasAppend, !option.keepEmptyValue, option.appendAction.rawValue >= 0,
            option.unknownFields.data.isEmpty
        else { return false }
        return !option.hasHeader || (option.header.rawValue.isEmpty && option.header.unknownFields.data.isEmpty)
    }

    // MARK: - Sizes (field numbers are all below 16: every tag is one byte)

    private static func size(of response: Envoy_Service_Auth_V3_CheckResponse) -> Int {
        var size = 0
        if response.hasStatus { size += Self.messageField(Self.size(of: response.status)) }
        switch response.httpResponse {
        case .okResponse(let ok)?: size += Self.messageField(Self.size(of: ok))
        case .deniedResponse(let denied)?: size += Self.messageField(Self.size(of: denied))
        case nil, .errorResponse?: break
        }
        if response.hasDynamicMetadata { size += Self.messageField(Self.size(of: response.dynamicMetadata)) }
        return size
    }

    private static func size(of status: Google_Rpc_Status) -> Int {
        (status.code == 0 ? 0 : 1 + Self.varintSize(UInt64(status.code))) + Self.optionalString(status.message)
    }

    private static func size(of ok: Envoy_Service_Auth_V3_OkHttpResponse) -> Int {
        var size = 0
        for option in ok.headers { size += Self.messageField(Self.size(of: option)) }
        for name in ok.headersToRemove { size += Self.stringField(name) }
        for parameter in ok.queryParametersToSet { size += Self.messageField(Self.size(of: parameter)) }
        for name in ok.queryParametersToRemove { size += Self.stringField(name) }
        return size
    }

    private static func size(of denied: Envoy_Service_Auth_V3_DeniedHttpResponse) -> Int {
        var size = 0
        if denied.hasStatus { size += Self.messageField(Self.size(of: denied.status)) }
        for option in denied.headers { size += Self.messageField(Self.size(of: option)) }
        return size + Self.optionalString(denied.body)
    }

    private static func size(of status: Envoy_Type_V3_HttpStatus) -> Int {
        status.code.rawValue == 0 ? 0 : 1 + Self.varintSize(UInt64(status.code.rawValue))
    }

    private static func size(of option: Envoy_Config_Core_V3_HeaderValueOption) -> Int {
        var size = 0
        if option.hasHeader {
            size += Self.messageField(Self.optionalString(option.header.key) + Self.optionalString(option.header.value))
        }
        let action = option.appendAction.rawValue
        if action != 0 { size += 1 + Self.varintSize(UInt64(action)) }
        return size
    }

    private static func size(of parameter: Envoy_Config_Core_V3_QueryParameter) -> Int {
        Self.optionalString(parameter.key) + Self.optionalString(parameter.value)
    }

    private static func size(of metadata: Google_Protobuf_Struct) -> Int {
        var size = 0
        for (key, value) in metadata.fields { size += Self.messageField(Self.entrySize(key: key, value: value)) }
        return size
    }

    /// A map entry: the key and the value are written even when empty, as swift-protobuf does.
    private static func entrySize(key: String, value: Google_Protobuf_Value) -> Int {
        Self.stringField(key) + Self.messageField(Self.stringField(value.stringValue))
    }

    /// A string field that is written even when empty (a repeated entry, a map key, a oneof case).
    private static func stringField(_ text: String) -> Int {
        let count = text.utf8.count
        return 1 + Self.varintSize(UInt64(count)) + count
    }

    /// A proto3 string field, left out when empty.
    private static func optionalString(_ text: String) -> Int { text.isEmpty ? 0 : Self.stringField(text) }

    /// A message field whose body is `size` bytes.
    private static func messageField(_ size: Int) -> Int { 1 + Self.varintSize(UInt64(size)) + size }

    private static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var rest = value >> 7
        while rest != 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    // MARK: - Writing, in field-number order as swift-protobuf's generated `traverse`

    private static func write(_ response: Envoy_Service_Auth_V3_CheckResponse, into buffer: inout ByteBuffer) {
        if response.hasStatus {
            let status = response.status
            Self.writeTag(1, &buffer)
            Self.writeVarint(UInt64(Self.size(of: status)), &buffer)
            if status.code != 0 { Self.writeVarintField(1, UInt64(status.code), &buffer) }
            if !status.message.isEmpty { Self.writeStringField(2, status.message, &buffer) }
        }
        switch response.httpResponse {
        case .deniedResponse(let denied)?:
            Self.writeTag(2, &buffer)
            Self.writeVarint(UInt64(Self.size(of: denied)), &buffer)
            if denied.hasStatus {
                Self.writeTag(1, &buffer)
                Self.writeVarint(UInt64(Self.size(of: denied.status)), &buffer)
                let code = denied.status.code.rawValue
                if code != 0 { Self.writeVarintField(1, UInt64(code), &buffer) }
            }
            for option in denied.headers { Self.write(option, field: 2, &buffer) }
            if !denied.body.isEmpty { Self.writeStringField(3, denied.body, &buffer) }
        case .okResponse(let ok)?:
            Self.writeTag(3, &buffer)
            Self.writeVarint(UInt64(Self.size(of: ok)), &buffer)
            for option in ok.headers { Self.write(option, field: 2, &buffer) }
            for name in ok.headersToRemove { Self.writeStringField(5, name, &buffer) }
            for parameter in ok.queryParametersToSet {
                Self.writeTag(7, &buffer)
                Self.writeVarint(UInt64(Self.size(of: parameter)), &buffer)
                if !parameter.key.isEmpty { Self.writeStringField(1, parameter.key, &buffer) }
                if !parameter.value.isEmpty { Self.writeStringField(2, parameter.value, &buffer) }
            }
            for name in ok.queryParametersToRemove { Self.writeStringField(8, name, &buffer) }
        case nil, .errorResponse?:
            break
        }
        if response.hasDynamicMetadata {
            let metadata = response.dynamicMetadata
            Self.writeTag(4, &buffer)
            Self.writeVarint(UInt64(Self.size(of: metadata)), &buffer)
            for (key, value) in metadata.fields {
                Self.writeTag(1, &buffer)
                Self.writeVarint(UInt64(Self.entrySize(key: key, value: value)), &buffer)
                Self.writeStringField(1, key, &buffer)
                let text = value.stringValue
                Self.writeTag(2, &buffer)
                Self.writeVarint(UInt64(Self.stringField(text)), &buffer)
                Self.writeStringField(3, text, &buffer)
            }
        }
    }

    private static func write(
        _ option: Envoy_Config_Core_V3_HeaderValueOption, field: UInt8, _ buffer: inout ByteBuffer
    ) {
        Self.writeTag(field, &buffer)
        Self.writeVarint(UInt64(Self.size(of: option)), &buffer)
        if option.hasHeader {
            let header = option.header
            Self.writeTag(1, &buffer)
            Self.writeVarint(UInt64(Self.optionalString(header.key) + Self.optionalString(header.value)), &buffer)
            if !header.key.isEmpty { Self.writeStringField(1, header.key, &buffer) }
            if !header.value.isEmpty { Self.writeStringField(2, header.value, &buffer) }
        }
        let action = option.appendAction.rawValue
        if action != 0 { Self.writeVarintField(3, UInt64(action), &buffer) }
    }

    /// A length-delimited field's tag (wire type 2).
    private static func writeTag(_ field: UInt8, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(field << 3 | 2)
    }

    private static func writeVarintField(_ field: UInt8, _ value: UInt64, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(field << 3)
        Self.writeVarint(value, &buffer)
    }

    private static func writeStringField(_ field: UInt8, _ text: String, _ buffer: inout ByteBuffer) {
        Self.writeTag(field, &buffer)
        Self.writeVarint(UInt64(text.utf8.count), &buffer)
        buffer.writeString(text)
    }

    private static func writeVarint(_ value: UInt64, _ buffer: inout ByteBuffer) {
        var rest = value
        while rest >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        buffer.writeInteger(UInt8(rest))
    }
}

/// A cursor over protobuf's binary wire format, for ``CheckRequestFields``' own reader.
///
/// It reads only the plain, canonical encoding that every protobuf writer produces, and throws
/// ``Unusual`` on anything else — a group, a varint longer than ten bytes or overflowing 64 bits,
/// a field number 0, a length past the end, a wrong wire type, invalid UTF-8 in a string — so that
/// its caller gives the bytes to swift-protobuf, which either reads them the same way or refuses
/// them. It never decides that bytes are malformed: only that they are not for it.
struct ProtobufWireReader {
    /// Thrown for any encoding this reader leaves to swift-protobuf.
    struct Unusual: Error {}

    /// How a field's value is encoded (protobuf's wire types; the two group types are ``Unusual``).
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private let bytes: UnsafeRawBufferPointer
    private var position: Int
    private let end: Int

    /// A reader over `bytes`, which must outlive it.
    init(_ bytes: UnsafeRawBufferPointer) {
        self.init(bytes, from: 0, to: bytes.count)
    }

    private init(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) {
        self.bytes = bytes
        self.position = start
        self.end = end
    }

    /// Whether every byte has been read.
    var isAtEnd: Bool { self.position == self.end }

    /// The next field's number and wire type; `nil` at the end.
    mutating func nextField() throws(Unusual) -> (number: UInt32, type: WireType)? {
        guard self.position < self.end else { return nil }
        let start = self.position
        let tag = try self.varint()
        // swift-protobuf reads a message's tags in at most five bytes (a longer, zero-padded one
        // is malformed to it) and below UInt32.max.
        guard self.position - start <= 5, tag < UInt64(UInt32.max), tag >> 3 != 0,
            let type = WireType(rawValue: UInt8(tag & 7))
        else {
            throw Unusual()
        }
        return (UInt32(tag >> 3), type)
    }

    /// A varint of at most ten bytes whose value fits 64 bits.
    mutating func varint() throws(Unusual) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while self.position < self.end {
            let byte = self.bytes[self.position]
            self.position += 1
            if shift == 63 && byte > 1 { throw Unusual() }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw Unusual()
    }

    /// A varint field's value, after checking that the field is one.
    mutating func varint(_ type: WireType) throws(Unusual) -> UInt64 {
        guard type == .varint else { throw Unusual() }
        return try self.varint()
    }

    /// A length-delimited field's contents as a reader of their own; this reader moves past them.
    mutating func message(_ type: WireType) throws(Unusual) -> ProtobufWireReader {
        let (start, end) = try self.lengthDelimited(type)
        return ProtobufWireReader(self.bytes, from: start, to: end)
    }

    /// A `string` field: its bytes must be valid UTF-8 (swift-protobuf refuses them otherwise).
    mutating func string(_ type: WireType) throws(Unusual) -> String {
        let (start, end) = try self.lengthDelimited(type)
        if start == end { return "" }
        let utf8 = UnsafeRawBufferPointer(rebasing: self.bytes[start..<end])
        // ASCII needs no validation; `String(validating:as:)` is generic and costs a metadata
        // lookup on every call, so it only sees the rest.
        if Self.isASCII(utf8) { return String(decoding: utf8, as: UTF8.self) }
        guard let string = String(validating: utf8.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw Unusual()
        }
        return string
    }

    /// A `string` field whose value is not needed: checked as ``string(_:)`` checks it, not kept.
    mutating func skipString(_ type: WireType) throws(Unusual) {
        let (start, end) = try self.lengthDelimited(type)
        let utf8 = UnsafeRawBufferPointer(rebasing: self.bytes[start..<end])
        if Self.isASCII(utf8) { return }
        var iterator = utf8.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .error: throw Unusual()
            case .emptyInput: return
            }
        }
    }

    /// Whether every byte is below 0x80, read eight at a time.
    private static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= bytes.count {
            high |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            high |= UInt64(bytes[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// A `bytes` field as raw bytes, valid while the reader's buffer is.
    mutating func bytes(_ type: WireType) throws(Unusual) -> UnsafeRawBufferPointer {
        let (start, end) = try self.lengthDelimited(type)
        return UnsafeRawBufferPointer(rebasing: self.bytes[start..<end])
    }

    /// The bytes not read yet, valid while the reader's buffer is; the reader moves to the end.
    mutating func remainingBytes() -> UnsafeRawBufferPointer {
        defer { self.position = self.end }
        return UnsafeRawBufferPointer(rebasing: self.bytes[self.position..<self.end])
    }

    /// Moves past a field this reader does not read, of any wire type but a group.
    mutating func skip(_ type: WireType) throws(Unusual) {
        switch type {
        case .varint: _ = try self.varint()
        case .fixed64: try self.advance(8)
        case .fixed32: try self.advance(4)
        case .lengthDelimited: _ = try self.lengthDelimited(type)
        }
    }

    private mutating func advance(_ count: Int) throws(Unusual) {
        guard self.end - self.position >= count else { throw Unusual() }
        self.position += count
    }

    private mutating func lengthDelimited(_ type: WireType) throws(Unusual) -> (start: Int, end: Int) {
        guard type == .lengthDelimited else { throw Unusual() }
        let length = try self.varint()
        guard length <= UInt64(self.end - self.position) else { throw Unusual() }
        let start = self.position
        self.position += Int(length)
        return (start, self.position)
    }
}

/// Which fields of one message have been read, so that a repeated singular field — which
/// protobuf merges (messages) or overwrites (scalars) — is left to swift-protobuf.
struct ProtobufFieldsSeen {
    private var bits: UInt32 = 0

    /// Notes field `number` (below 32); throws if it was seen before.
    mutating func insert(_ number: UInt32) throws(ProtobufWireReader.Unusual) {
        let bit: UInt32 = 1 << number
        guard self.bits & bit == 0 else { throw ProtobufWireReader.Unusual() }
        self.bits |= bit
    }
}

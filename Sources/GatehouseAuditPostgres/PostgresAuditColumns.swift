import GatehouseAudit
import GatehouseCore
import NIOCore
import PostgresNIO

/// A batch's query columns read from the records' canonical JSON by the store, so PostgreSQL does
/// not parse every body (`body::jsonb` and twelve `->>` cost 14 µs a record of the server's time,
/// measured: a third of an insert with every index; Tests/Benchmarks/README.md, issue #14).
///
/// The columns are exactly what `body::jsonb ->> key` gives (``AuditRecordColumns/derived``): a
/// top-level key's string, unescaped; NULL when the key is absent or JSON `null`; the last value
/// when a key repeats; except that a NUL in a value becomes U+FFFD (``unescape(_:)``), where
/// PostgreSQL cannot read the body at all. Anything these rules do not cover exactly — a
/// non-string value for a column's key, an escaped key, a lone surrogate escape, anything that is
/// not one JSON object — makes ``append(_:)`` answer false, and the store lets PostgreSQL derive
/// the whole batch's columns itself, as before (``PostgresAuditSchema/insertRecordsDeriving``).
struct PostgresAuditColumns {
    /// The column keys' bytes, in ``AuditRecordColumns/derived`` order.
    private static let keys: [[UInt8]] = AuditRecordColumns.derived.map { Array($0.key.utf8) }
    /// For each column in ``AuditRecordColumns/derived`` order: its place among `records`' columns
    /// (``PostgresAuditSchema/recordColumns``), or nil for a caller field.
    private static let recordIndex: [Int?] = AuditRecordColumns.derived.map { column in
        PostgresAuditSchema.recordColumns.firstIndex { $0.name == column.name }
    }
    /// For each column in ``AuditRecordColumns/derived`` order: its place among the caller's fields
    /// (``PostgresAuditSchema/callerColumns``), or nil.
    private static let callerIndex: [Int?] = AuditRecordColumns.derived.map { column in
        PostgresAuditSchema.callerColumns.firstIndex(of: column.name)
    }

    /// One `text[]` per column of `records`, in ``PostgresAuditSchema/recordColumns`` order.
    private(set) var columns: [PostgresTextArray]
    /// Each record's caller (its subject, SPIFFE ID and X-Road client, each nil when absent).
    private(set) var callers: [PostgresCaller] = []
    /// Each record's time key (``timeKey(_:)``), nil where PostgreSQL must compute it.
    private(set) var timeKeys: [Int64?] = []
    /// Where each column's value lies in the body being read (reused between bodies).
    private var found: [Found]
    /// ``recordIndex`` and ``callerIndex``, read once a batch rather than once a value.
    private let recordPlaces: [Int?]
    private let callerPlaces: [Int?]
    /// The time's place in ``AuditRecordColumns/derived``.
    private static let timeIndex = AuditRecordColumns.derived.firstIndex { $0.name == "time" }

    /// A column's value in one body.
    private enum Found {
        case null
        case string(Range<Int>, escaped: Bool)
    }

    init(capacity: Int) {
        self.columns = PostgresAuditSchema.recordColumns.map { _ in PostgresTextArray(reservingBytes: capacity * 32) }
        self.callers.reserveCapacity(capacity)
        self.timeKeys.reserveCapacity(capacity)
        self.found = Array(repeating: .null, count: Self.keys.count)
        self.recordPlaces = Self.recordIndex
        self.callerPlaces = Self.callerIndex
    }

    /// Appends `body`'s column values; false (nothing appended) when the body is outside the rules
    /// above, so PostgreSQL must derive them.
    mutating func append(_ body: [UInt8]) -> Bool {
        for index in self.found.indices { self.found[index] = .null }
        let read = body.withUnsafeBufferPointer { bytes in
            var reader = TopLevelReader(bytes: bytes)
            return reader.read { key, value in
                guard let column = Self.column(of: key, in: bytes) else { return true }
                guard let value else { return false }
                self.found[column] = value
                return true
            }
        }
        guard read else { return false }
        // Check every escaped value before appending any, so a refused body leaves no partial row.
        var text: [[UInt8]?] = Array(repeating: nil, count: self.found.count)
        for (column, value) in self.found.enumerated() {
            guard case .string(let range, escaped: true) = value else { continue }
            guard let unescaped = Self.unescape(body[range]) else { return false }
            text[column] = unescaped
        }
        var caller = PostgresCaller(reservingBytes: 128)
        for (column, value) in self.found.enumerated() {
            // The caller's fields come in ``PostgresAuditSchema/callerColumns`` order (as in the derived columns).
            if self.callerPlaces[column] != nil {
                switch value {
                case .null: caller.append(nil)
                case .string(let range, escaped: false):
                    body.withUnsafeBufferPointer { caller.append(UnsafeBufferPointer(rebasing: $0[range])) }
                case .string: text[column]!.withUnsafeBufferPointer { caller.append($0) }
                }
                continue
            }
            guard let index = self.recordPlaces[column] else { continue }
            switch value {
            case .null:
                self.columns[index].appendNull()
            case .string(let range, escaped: false):
                body.withUnsafeBufferPointer { self.columns[index].append(UnsafeBufferPointer(rebasing: $0[range])) }
            case .string:
                text[column]!.withUnsafeBufferPointer { self.columns[index].append($0) }
            }
        }
        self.callers.append(caller)
        if let time = Self.timeIndex, case .string(let range, escaped: false) = self.found[time] {
            self.timeKeys.append(Self.timeKey(body[range]))
        } else {
            self.timeKeys.append(nil)
        }
        return true
    }

    /// What `gatehouse_audit.time_key()` gives for `time` (``PostgresAuditSchema/v2``: its first
    /// 24 characters without `-`, `T`, `:` and `.`, as a bigint) when `time` begins in the log's
    /// fixed-width form, `YYYY-MM-DDTHH:MM:SS.` and at least four digits; else nil, and PostgreSQL
    /// computes it (refusing a malformed time as before). Computed here, it saves PostgreSQL the
    /// `translate()` of every record, 4 % of its CPU in the three writers' profile.
    static func timeKey(_ time: ArraySlice<UInt8>) -> Int64? {
        guard time.count >= 24 else { return nil }
        var key: Int64 = 0
        for (offset, byte) in time.prefix(24).enumerated() {
            switch offset {
            case 4, 7: guard byte == UInt8(ascii: "-") else { return nil }
            case 10: guard byte == UInt8(ascii: "T") else { return nil }
            case 13, 16: guard byte == UInt8(ascii: ":") else { return nil }
            case 19: guard byte == UInt8(ascii: ".") else { return nil }
            default:
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                key = key * 10 + Int64(byte - UInt8(ascii: "0"))
            }
        }
        return key
    }

    private static func column(of key: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        Self.keys.firstIndex { $0.count == key.count && $0.elementsEqual(bytes[key]) }
    }

    /// The JSON string between quotes (without them) decoded by Core's reader; nil for a malformed
    /// escape or a lone surrogate (PostgreSQL's text cannot hold one). A NUL (`\u0000`), which
    /// PostgreSQL's text cannot hold either, becomes U+FFFD REPLACEMENT CHARACTER in the column:
    /// the body keeps the exact bytes (so the record and its leaf hash are unchanged), and only the
    /// query column differs from the value. Refusing the body instead would lose the record, since
    /// PostgreSQL's own reading (`body::jsonb`) refuses `\u0000` too.
    static func unescape(_ escaped: ArraySlice<UInt8>) -> [UInt8]? {
        let decoded = escaped.withUnsafeBytes { contents in try? JSONReader.stringContents(contents) }
        guard let decoded else { return nil }
        guard decoded.utf8.contains(0) else { return Array(decoded.utf8) }
        return Array(decoded.replacingNUL.utf8)
    }

    /// Walks one JSON object's top-level members: each key's range (between its quotes) and its
    /// value as a ``Found`` (nil for a value that is neither a string nor `null`), skipping nested values.
    private struct TopLevelReader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        /// Calls `member` for every top-level member; false when the bytes are not one object as
        /// expected, or when `member` answers false.
        mutating func read(_ member: (Range<Int>, Found?) -> Bool) -> Bool {
            self.skipSpace()
            guard self.consume(UInt8(ascii: "{")) else { return false }
            self.skipSpace()
            if self.consume(UInt8(ascii: "}")) { return self.atEnd() }
            while true {
                guard let (key, keyEscaped) = self.string(), !keyEscaped else { return false }
                self.skipSpace()
                guard self.consume(UInt8(ascii: ":")) else { return false }
                self.skipSpace()
                guard self.index < self.bytes.count else { return false }
                let value: Found?
                switch self.bytes[self.index] {
                case UInt8(ascii: "\""):
                    guard let (range, escaped) = self.string() else { return false }
                    value = .string(range, escaped: escaped)
                case UInt8(ascii: "n"):
                    guard self.literal("null") else { return false }
                    value = .null
                default:
                    guard self.skipValue() else { return false }
                    value = nil
                }
                guard member(key, value) else { return false }
                self.skipSpace()
                if self.consume(UInt8(ascii: ",")) {
                    self.skipSpace()
                    continue
                }
                guard self.consume(UInt8(ascii: "}")) else { return false }
                return self.atEnd()
            }
        }

        private mutating func atEnd() -> Bool {
            self.skipSpace()
            return self.index == self.bytes.count
        }

        private mutating func skipSpace() {
            while self.index < self.bytes.count {
                switch self.bytes[self.index] {
                case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
                default: return
                }
            }
        }

        private mutating func consume(_ byte: UInt8) -> Bool {
            guard self.index < self.bytes.count, self.bytes[self.index] == byte else { return false }
            self.index += 1
            return true
        }

        private mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard self.bytes.count - self.index >= count else { return false }
            for offset in 0..<count where self.bytes[self.index + offset] != text.utf8Start[offset] { return false }
            self.index += count
            return true
        }

        /// A string at the reader: its contents' range and whether it holds an escape.
        private mutating func string() -> (Range<Int>, Bool)? {
            guard self.consume(UInt8(ascii: "\"")) else { return nil }
            let start = self.index
            var escaped = false
            while self.index < self.bytes.count {
                let byte = self.bytes[self.index]
                if byte == UInt8(ascii: "\"") {
                    self.index += 1
                    return (start..<self.index - 1, escaped)
                }
                if byte < 0x20 { return nil }
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    self.index += 1
                }
                self.index += 1
            }
            return nil
        }

        /// Skips a number, literal, object or array (strings inside them included).
        private mutating func skipValue() -> Bool {
            guard self.index < self.bytes.count else { return false }
            switch self.bytes[self.index] {
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ":"): return false
            default: break
            }
            var depth = 0
            repeat {
                guard self.index < self.bytes.count else { return false }
                switch self.bytes[self.index] {
                case UInt8(ascii: "\""):
                    guard self.string() != nil else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard depth > 0 else { return true }
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 0 { return true }
                default:
                    break
                }
                self.index += 1
            } while depth > 0 || !self.atScalarEnd()
            return true
        }

        /// Whether a number or literal ended at the reader.
        private func atScalarEnd() -> Bool {
            guard self.index < self.bytes.count else { return true }
            switch self.bytes[self.index] {
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D: return true
            default: return false
            }
        }
    }
}

/// A record's caller as `callers` keeps it: the subject, SPIFFE ID and X-Road client (in
/// ``PostgresAuditSchema/callerColumns`` order) as PostgreSQL's text of each, absent or not, in
/// one buffer (one allocation a record, one hash a look-up): each field a 0 byte when absent, else
/// a 1 byte, its length (4 bytes) and its bytes.
struct PostgresCaller: Hashable, Sendable {
    private(set) var encoded: [UInt8] = []
    /// Whether the record has no caller at all (its `caller_id` is NULL).
    private(set) var isEmpty = true

    init(reservingBytes bytes: Int = 0) {
        self.encoded.reserveCapacity(bytes)
    }

    /// Appends the next field (nil: absent).
    mutating func append(_ field: UnsafeBufferPointer<UInt8>?) {
        guard let field else {
            self.encoded.append(0)
            return
        }
        self.isEmpty = false
        let count = UInt32(field.count)
        self.encoded.append(1)
        for shift in stride(from: 0, to: 32, by: 8) { self.encoded.append(UInt8(truncatingIfNeeded: count >> shift)) }
        self.encoded.append(contentsOf: UnsafeRawBufferPointer(field))
    }

    /// The fields, in order (nil: absent).
    var fields: [ArraySlice<UInt8>?] {
        var fields: [ArraySlice<UInt8>?] = []
        var index = 0
        while index < self.encoded.count {
            guard self.encoded[index] == 1 else {
                fields.append(nil)
                index += 1
                continue
            }
            var count = 0
            for offset in 0..<4 { count |= Int(self.encoded[index + 1 + offset]) << (8 * offset) }
            fields.append(self.encoded[(index + 5)..<(index + 5 + count)])
            index += 5 + count
        }
        return fields
    }
}

/// A one-dimensional `text[]` in PostgreSQL's binary array format, NULL elements allowed (which
/// PostgresNIO's `[String]` cannot say), appended to in place: no `String` per element.
struct PostgresTextArray: PostgresNonThrowingEncodable {
    static var psqlType: PostgresDataType { .textArray }
    static var psqlFormat: PostgresFormat { .binary }

    private var elements: ByteBuffer
    private(set) var count = 0
    private var hasNull = false

    init(reservingBytes bytes: Int) {
        self.elements = ByteBufferAllocator().buffer(capacity: bytes)
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.elements.writeInteger(Int32(bytes.count))
        self.elements.writeBytes(UnsafeRawBufferPointer(bytes))
        self.count += 1
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { self.append($0) }
    }

    mutating func appendNull() {
        self.elements.writeInteger(Int32(-1))
        self.hasNull = true
        self.count += 1
    }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        // Dimensions, has-null flag, element type; then the one dimension's length and lower bound.
        buffer.writeInteger(Int32(self.count == 0 ? 0 : 1))
        buffer.writeInteger(Int32(self.hasNull ? 1 : 0))
        buffer.writeInteger(PostgresDataType.text.rawValue)
        guard self.count > 0 else { return }
        buffer.writeInteger(Int32(self.count))
        buffer.writeInteger(Int32(1))
        buffer.writeImmutableBuffer(self.elements)
    }
}

extension String {
    /// The text with every U+0000 replaced by U+FFFD.
    fileprivate var replacingNUL: String {
        String(String.UnicodeScalarView(self.unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 }))
    }
}

/// A one-dimensional `bigint[]` in PostgreSQL's binary array format, NULL elements allowed.
struct PostgresBigIntArray: PostgresNonThrowingEncodable {
    static var psqlType: PostgresDataType { .int8Array }
    static var psqlFormat: PostgresFormat { .binary }

    var elements: [Int64?]

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        buffer.writeInteger(Int32(self.elements.isEmpty ? 0 : 1))
        buffer.writeInteger(Int32(self.elements.contains(nil) ? 1 : 0))
        buffer.writeInteger(PostgresDataType.int8.rawValue)
        guard !self.elements.isEmpty else { return }
        buffer.writeInteger(Int32(self.elements.count))
        buffer.writeInteger(Int32(1))
        for element in self.elements {
            if let element {
                buffer.writeInteger(Int32(8))
                buffer.writeInteger(element)
            } else {
                buffer.writeInteger(Int32(-1))
            }
        }
    }
}

/// A one-dimensional `integer[]` in PostgreSQL's binary array format, NULL elements allowed.
struct PostgresIntegerArray: PostgresNonThrowingEncodable {
    static var psqlType: PostgresDataType { .int4Array }
    static var psqlFormat: PostgresFormat { .binary }

    var elements: [Int32?]

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        buffer.writeInteger(Int32(self.elements.isEmpty ? 0 : 1))
        buffer.writeInteger(Int32(self.elements.contains(nil) ? 1 : 0))
        buffer.writeInteger(PostgresDataType.int4.rawValue)
        guard !self.elements.isEmpty else { return }
        buffer.writeInteger(Int32(self.elements.count))
        buffer.writeInteger(Int32(1))
        for element in self.elements {
            if let element {
                buffer.writeInteger(Int32(4))
                buffer.writeInteger(element)
            } else {
                buffer.writeInteger(Int32(-1))
            }
        }
    }
}

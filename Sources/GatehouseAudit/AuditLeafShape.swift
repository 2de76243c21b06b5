/// Each record kind's keys in the byte order the encoder writes them, with what each value must be:
/// the grammar ``AuditLeafCheck`` reads a body against.
///
/// These lists restate ``AuditLeaf/encode(_:instance:sequence:)``'s writers; `AuditLeafCheckTests`
/// fails when they drift (a fully populated and a minimal record of every kind must pass).
struct AuditLeafShape {
    /// What a member's value must be.
    enum Value {
        /// Any canonical string.
        case string
        /// A canonical unsigned integer.
        case integer
        /// An integer that fits an HTTP status (16 bits).
        case status
        /// The encoding's version, `1`.
        case version
        /// The `seq` integer, kept for the caller.
        case sequence
        /// The `instance` string, kept for the caller.
        case instance
        /// A time in ``AuditLeafTime``'s form.
        case time
        /// The shape's own `kind` literal.
        case kind
        /// `allow` or `deny`.
        case outcome
        /// A ``GatehouseCore/CacheUse`` raw value.
        case cache
        /// A non-empty list of strings.
        case strings
        /// A non-empty object of strings (claims).
        case stringMap
        /// A shadow record's active decision: an object of shape ``active``.
        case active
    }

    /// Where a member's `"key":` token sits in ``keys``.
    struct Key {
        var start: Int
        var count: Int
    }

    struct Field {
        var key: Key
        var value: Value
        var required: Bool
    }

    /// Every `"key":` token, one after another.
    let keys: [UInt8]
    /// The members in byte order.
    let fields: [Field]
    /// The quoted `kind` value.
    let kind: StaticString

    private init(kind: StaticString, _ members: [(key: String, value: Value, required: Bool)]) {
        var keys: [UInt8] = []
        var fields: [Field] = []
        for member in members {
            let token = Array("\"\(member.key)\":".utf8)
            fields.append(
                Field(key: Key(start: keys.count, count: token.count), value: member.value, required: member.required))
            keys += token
        }
        self.keys = keys
        self.fields = fields
        self.kind = kind
    }

    static let allow: StaticString = "\"allow\""
    static let deny: StaticString = "\"deny\""
    static let cacheUses: [StaticString] = ["\"hit\"", "\"miss\"", "\"coalesced\"", "\"bypass\""]
    /// ``AuditLeafTime``'s fixed separators: offset in the time text, byte.
    static let timeSeparators: [(Int, UInt8)] = [
        (4, UInt8(ascii: "-")), (7, UInt8(ascii: "-")), (10, UInt8(ascii: "T")), (13, UInt8(ascii: ":")),
        (16, UInt8(ascii: ":")), (19, UInt8(ascii: ".")), (29, UInt8(ascii: "Z")),
    ]

    static let decision = AuditLeafShape(
        kind: "\"decision\"",
        [
            ("cache", .cache, true), ("claims", .stringMap, false), ("decision", .outcome, true),
            ("host", .string, true), ("id", .string, true), ("instance", .instance, true),
            ("issuer", .string, false), ("kind", .kind, true), ("latency_us", .integer, true),
            ("method", .string, true), ("path", .string, true), ("policy", .string, false),
            ("policy_revision", .string, true), ("reason", .string, true), ("reason_detail", .string, false),
            ("request_id", .string, false), ("rule", .string, false), ("seq", .sequence, true),
            ("shadow_rules", .strings, false), ("source_address", .string, false), ("spiffe_id", .string, false),
            ("status", .status, true), ("subject", .string, false), ("time", .time, true),
            ("trace_id", .string, false), ("v", .version, true), ("xroad_client", .string, false),
        ])

    /// A shadow record's `active` object: a decision without the common keys.
    static let active = AuditLeafShape(
        kind: "",
        [
            ("cache", .cache, true), ("claims", .stringMap, false), ("decision", .outcome, true),
            ("host", .string, true), ("issuer", .string, false), ("latency_us", .integer, true),
            ("method", .string, true), ("path", .string, true), ("policy", .string, false),
            ("policy_revision", .string, true), ("reason", .string, true), ("reason_detail", .string, false),
            ("request_id", .string, false), ("rule", .string, false), ("shadow_rules", .strings, false),
            ("source_address", .string, false), ("spiffe_id", .string, false), ("status", .status, true),
            ("subject", .string, false), ("trace_id", .string, false), ("xroad_client", .string, false),
        ])

    static let admin = AuditLeafShape(
        kind: "\"admin\"",
        [
            ("action", .string, true), ("actor", .string, true), ("detail", .string, false), ("id", .string, true),
            ("instance", .instance, true), ("kind", .kind, true), ("outcome", .string, true),
            ("role", .string, false), ("seq", .sequence, true), ("status", .status, true), ("time", .time, true),
            ("v", .version, true),
        ])

    static let activation = AuditLeafShape(
        kind: "\"activation\"",
        [
            ("actor", .string, false), ("detail", .string, false), ("duration_ms", .integer, true),
            ("id", .string, true), ("instance", .instance, true), ("kind", .kind, true),
            ("outcome", .string, true), ("revision", .string, false), ("seq", .sequence, true),
            ("source", .string, true), ("time", .time, true), ("trigger", .string, true), ("v", .version, true),
        ])

    static let gap = AuditLeafShape(
        kind: "\"gap\"",
        [
            ("cause", .string, true), ("count", .integer, true), ("from", .time, true), ("id", .string, true),
            ("instance", .instance, true), ("kind", .kind, true), ("seq", .sequence, true), ("time", .time, true),
            ("to", .time, true), ("v", .version, true),
        ])

    static let shadow = AuditLeafShape(
        kind: "\"shadow\"",
        [
            ("active", .active, true), ("candidate_decision", .outcome, true), ("candidate_reason", .string, true),
            ("candidate_revision", .string, true), ("candidate_rule", .string, false), ("id", .string, true),
            ("instance", .instance, true), ("kind", .kind, true), ("seq", .sequence, true), ("time", .time, true),
            ("v", .version, true),
        ])
}

/// Which of a decision's fields its answer to Envoy carries: the gRPC door's dynamic metadata,
/// the HTTP door's `x-gatehouse-metadata-*` headers (server setting `envoy.metadata`).
///
/// Envoy parses every field of every answer, and Gatehouse builds and encodes each one, so the
/// default is ``lean``: the decision id (which finds the whole record in the decision log) and
/// why (`reason`, and `reason_detail` when a credential was rejected). ``full`` is every field;
/// a list names exactly the fields wanted.
///
/// ```swift
/// let fields = MetadataFields("decision_id,rule,policy_revision")   // or "lean", "full"
/// for (key, value) in decision.dynamicMetadata(decisionID: id, fields: fields!) { … }
/// ```
package struct MetadataFields: Sendable, Hashable, CustomStringConvertible {
    /// One field of a decision's metadata, by its wire name.
    package enum Field: String, CaseIterable, Sendable, Hashable {
        /// The decision log's id of the decision (128 random bits, hex).
        case decisionID = "decision_id"
        /// `allow` or `deny`.
        case decision
        /// The stable reason code.
        case reason
        /// The finer code behind a credential rejection; sent only when there is one.
        case reasonDetail = "reason_detail"
        /// The HTTP status decided.
        case status
        /// The revision of the policy set that decided.
        case policyRevision = "policy_revision"
        /// `hit`, `miss`, `coalesced` or `bypass`.
        case cache
        /// The selected policy; sent only when one was selected.
        case policy
        /// The rule that decided; sent only when one did.
        case rule
        /// The caller's subject; sent only when known.
        case subject
        /// The shadow rules that matched, `rule:action` comma-separated; sent only when any did.
        case shadowRules = "shadow_rules"
    }

    /// The fields, in wire order, each once.
    package let fields: [Field]

    /// The fields in `fields`' order, duplicates dropped.
    package init(_ fields: [Field]) {
        var seen: Set<Field> = []
        self.fields = fields.filter { seen.insert($0).inserted }
    }

    /// The default: `decision_id`, `reason`, `reason_detail`.
    package static let lean = MetadataFields([.decisionID, .reason, .reasonDetail])
    /// Every field.
    package static let full = MetadataFields(Field.allCases)

    /// Parses `lean`, `full` or a comma-separated list of field names (any case, spaces around
    /// names ignored); `nil` for anything else, an empty list or an unknown name.
    package init?(_ text: String) {
        let trimmed = text.trimmingASCIISpaces.lowercased()
        if trimmed == "lean" {
            self = .lean
            return
        }
        if trimmed == "full" {
            self = .full
            return
        }
        var fields: [Field] = []
        for name in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            guard let field = Field(rawValue: String(name).trimmingASCIISpaces) else { return nil }
            fields.append(field)
        }
        guard !fields.isEmpty else { return nil }
        self.init(fields)
    }

    /// `lean`, `full`, or the comma-separated names.
    package var description: String {
        if self == .lean { return "lean" }
        if self == .full { return "full" }
        return self.fields.map(\.rawValue).joined(separator: ",")
    }

    /// Whether `field` is sent.
    package func contains(_ field: Field) -> Bool { self.fields.contains(field) }
}

extension String {
    /// The text without leading and trailing ASCII spaces and tabs.
    fileprivate var trimmingASCIISpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isSpace($0) }), let last = self.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}

package import GatehouseCore

/// A problem the compiler found in a policy, with where it is.
///
/// Rendered as `file:line:col: code: message`, the form editors and CI logs understand.
package struct Diagnostic: Error, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Errors stop compilation; warnings are the linter's advice.
    package enum Severity: String, Hashable, Sendable {
        case error
        case warning
    }

    /// Error or warning.
    package var severity: Severity
    /// The stable code, e.g. `policy_unknown_key`.
    package var code: DiagnosticCode
    /// A sentence naming the subject, quoting the offending value and saying what to do.
    package var message: String
    /// Where.
    package var location: SourceLocation

    package init(_ severity: Severity, _ code: DiagnosticCode, _ message: String, at location: SourceLocation) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
    }

    package static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        (lhs.location, lhs.code.rawValue, lhs.message) < (rhs.location, rhs.code.rawValue, rhs.message)
    }

    package var description: String {
        let severity = self.severity == .warning ? " (warning)" : ""
        return "\(self.location): \(self.code.rawValue): \(self.message)\(severity)"
    }
}

/// The stable code of a diagnostic; the README's table documents each.
package struct DiagnosticCode: Hashable, Sendable, CustomStringConvertible {
    /// The snake_case code.
    package let rawValue: String

    private init(_ rawValue: String) { self.rawValue = rawValue }

    package var description: String { self.rawValue }

    package static let ioError = DiagnosticCode("policy_io_error")
    package static let parseError = DiagnosticCode("policy_parse_error")
    package static let limitExceeded = DiagnosticCode("policy_limit_exceeded")
    package static let unknownKind = DiagnosticCode("policy_unknown_kind")
    package static let unknownKey = DiagnosticCode("policy_unknown_key")
    package static let missingKey = DiagnosticCode("policy_missing_key")
    package static let typeError = DiagnosticCode("policy_type_error")
    package static let invalidValue = DiagnosticCode("policy_invalid_value")
    package static let badPattern = DiagnosticCode("policy_bad_pattern")
    package static let invalidCIDR = DiagnosticCode("policy_invalid_cidr")
    package static let duplicateName = DiagnosticCode("policy_duplicate_name")
    package static let duplicateKey = DiagnosticCode("policy_duplicate_key")
    package static let duplicateSelector = DiagnosticCode("policy_duplicate_selector")
    package static let unknownAttribute = DiagnosticCode("policy_unknown_attribute")
    package static let emptyRule = DiagnosticCode("policy_empty_rule")
    package static let unknownGroup = DiagnosticCode("policy_unknown_group")
    package static let circularGroup = DiagnosticCode("policy_circular_group")
    package static let missingFile = DiagnosticCode("policy_missing_file")
    package static let unreachableRule = DiagnosticCode("policy_unreachable_rule")
    package static let shadowedRule = DiagnosticCode("policy_shadowed_rule")
    package static let duplicateRule = DiagnosticCode("policy_duplicate_rule")
    package static let allowAll = DiagnosticCode("policy_allow_all")
    package static let selectsNothing = DiagnosticCode("policy_selects_nothing")
    package static let noRules = DiagnosticCode("policy_no_rules")
    package static let uncacheable = DiagnosticCode("policy_uncacheable")
    package static let unusedGroup = DiagnosticCode("policy_unused_group")
    package static let testFailed = DiagnosticCode("policy_test_failed")
    package static let untestedRule = DiagnosticCode("policy_untested_rule")
}

/// Collects diagnostics during one compilation.
struct DiagnosticBag {
    private(set) var items: [Diagnostic] = []

    mutating func error(_ code: DiagnosticCode, _ message: String, at location: SourceLocation) {
        self.items.append(Diagnostic(.error, code, message, at: location))
    }

    mutating func warning(_ code: DiagnosticCode, _ message: String, at location: SourceLocation) {
        self.items.append(Diagnostic(.warning, code, message, at: location))
    }

    mutating func append(contentsOf other: DiagnosticBag) {
        self.items += other.items
    }

    var hasErrors: Bool { self.items.contains { $0.severity == .error } }
}

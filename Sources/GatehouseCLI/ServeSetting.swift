import Foundation
import GatehouseCore

/// Where a setting's value came from; every problem with the value starts with it.
enum SettingSource: Sendable, Hashable, CustomStringConvertible {
    /// A YAML key in the configuration file, at the value's position.
    case file(path: String, line: Int, column: Int, key: String)
    /// A `GATEHOUSE_*` environment variable.
    case environment(String)
    /// A command-line flag.
    case flag(String)

    var description: String {
        switch self {
        case .file(let path, let line, let column, let key): return "\(path):\(line):\(column): \(key)"
        case .environment(let name): return name
        case .flag(let name): return name
        }
    }

    /// The folder relative paths are resolved against: the file's for file values, else the working directory.
    var baseDirectory: String? {
        guard case .file(let path, _, _, _) = self else { return nil }
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? nil : directory
    }
}

/// How a setting's text becomes a typed value, and back into text for the defaults column.
///
/// Every source goes through the same parser, so a bad value reads the same from the file, the
/// environment or a flag: `SOURCE: 'TEXT' is not EXPECTED.`
struct SettingParser<Value>: Sendable {
    /// The type as the reference table shows it, e.g. `int 1–256`.
    let type: String
    /// What a value must be, completing "'TEXT' is not …".
    let expected: String
    let parse: @Sendable (_ text: String, _ source: SettingSource) -> Value?
    let format: @Sendable (Value) -> String
    /// How values of a repeated flag combine; `nil` keeps the last.
    var combine: (@Sendable (Value, Value) -> Value)? = nil
    /// How a problem quotes the text, for values that may hold a secret (a URL's password); `nil` quotes it whole.
    var redact: (@Sendable (String) -> String)? = nil

    /// The problem with `text` from `source`.
    func problem(_ text: String, from source: SettingSource) -> String {
        "\(source): '\(self.redact?(text) ?? text)' is not \(self.expected)."
    }
}

/// How the file reader reads a setting whose YAML value is not a single scalar.
enum SettingNodeReader: Sendable {
    /// `grpc.listeners`: a list of `{address, tls}` mappings (read by `ConfigFileReader.listener(_:key:)`).
    case listeners
    /// `httpAuthz.listeners`: the same mappings, for the HTTP ext_authz door.
    case httpListeners
    /// `httpAuthz.routes`: a list of `{prefix, contextExtensions}` mappings.
    case httpRoutes
    /// `admin.tokens`: a list of `{name, sha256, role}` mappings.
    case adminTokens
    /// `admin.clients`: a list of `{spiffe, role}` or `{subject, role}` mappings.
    case adminClients
    /// `admin.tls`: a `{certificate, key, clientCA, crls, trustDomain}` mapping.
    case adminTLS
}

/// One setting of `gatehouse serve`: one row of ``ServeSettings/table``.
package struct ServeSetting: Sendable {
    /// The YAML key path, e.g. `grpc.maxConcurrentStreams`.
    package let key: String
    /// The environment variable that sets it, if any.
    package let variable: String?
    /// The flag that sets it, if any.
    package let flag: String?
    /// The parser's type, e.g. `duration 0s–24h`.
    package let type: String
    /// The value when nothing sets it, as it would be written.
    package let defaultValue: String
    /// One line: what it does.
    package let summary: String
    /// A dedicated reader for a YAML value that is not a scalar; `nil` reads a scalar with the parser.
    let nodeReader: SettingNodeReader?
    /// Parses `texts` (several only for a repeated flag) from `source` into `configuration`,
    /// returning the problems.
    let apply:
        @Sendable (_ texts: [String], _ source: SettingSource, _ configuration: inout ServeConfiguration) -> [String]

    /// A row whose value lives at `keyPath`; `variableParser` reads the variable when it is
    /// written differently from the key (in other units, say).
    init<Value>(
        _ key: String, variable: String? = nil, flag: String? = nil,
        _ keyPath: any WritableKeyPath<ServeConfiguration, Value> & Sendable, _ parser: SettingParser<Value>,
        variableParser: SettingParser<Value>? = nil, nodeReader: SettingNodeReader? = nil, _ summary: String
    ) {
        self.key = key
        self.variable = variable
        self.flag = flag
        self.type = variableParser.map { "\(parser.type) (variable: \($0.type))" } ?? parser.type
        self.defaultValue = parser.format(ServeConfiguration()[keyPath: keyPath])
        self.summary = summary
        self.nodeReader = nodeReader
        self.apply = { texts, source, configuration in
            var parser = parser
            if case .environment = source, let variableParser { parser = variableParser }
            var problems: [String] = []
            var combined: Value?
            for text in texts {
                guard let value = parser.parse(text, source) else {
                    problems.append(parser.problem(text, from: source))
                    continue
                }
                combined = combined.flatMap { previous in parser.combine.map { $0(previous, value) } } ?? value
            }
            if problems.isEmpty, let combined { configuration[keyPath: keyPath] = combined }
            return problems
        }
    }
}

// MARK: - Parsers

extension SettingParser where Value == String {
    /// Any non-empty text.
    static let string = SettingParser(
        type: "string", expected: "a non-empty string", parse: { text, _ in text.isEmpty ? nil : text },
        format: { $0 })

    /// A file or folder path; in the file, relative to the file's folder.
    static let path = SettingParser(
        type: "path", expected: "a path",
        parse: { text, source in
            guard !text.isEmpty else { return nil }
            guard !text.hasPrefix("/"), let base = source.baseDirectory else { return text }
            return base + "/" + text
        }, format: { $0 })
}

extension SettingParser where Value == Int {
    /// A whole number within `range`.
    static func integer(_ range: ClosedRange<Int>) -> Self {
        SettingParser(
            type: "int \(range.lowerBound)–\(range.upperBound)",
            expected: "a whole number from \(range.lowerBound) to \(range.upperBound)",
            parse: { text, _ in Int(text).flatMap { range.contains($0) ? $0 : nil } }, format: { "\($0)" })
    }
}

extension SettingParser where Value == Duration {
    /// A duration (`500ms`, `10s`, `2m`, `1h`, or plain seconds) from `minimum` to a day.
    static func duration(minimum: Duration = .zero) -> Self {
        let maximum = Duration.seconds(86_400)
        return SettingParser(
            type: "duration \(Self.text(minimum))–\(Self.text(maximum))",
            expected: "a duration from \(Self.text(minimum)) to \(Self.text(maximum)) (e.g. 500ms, 10s or 2m)",
            parse: { text, _ in DurationText.parse(text, maximum: maximum).flatMap { $0 >= minimum ? $0 : nil } },
            format: { Self.text($0) })
    }

    /// `500ms` when not whole seconds, `24h` in whole hours of a day or more, else `10s`.
    static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0, seconds >= 86_400, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if attoseconds == 0 { return "\(seconds)s" }
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }
}

extension SettingParser where Value == Bool {
    /// `true`/`false`, `on`/`off`, `yes`/`no` or `1`/`0`, in any case.
    static let toggle = SettingParser(
        type: "switch", expected: "a switch (true or false, on or off)",
        parse: { text, _ in
            switch text.lowercased() {
            case "true", "on", "yes", "1": return true
            case "false", "off", "no", "0": return false
            default: return nil
            }
        }, format: { $0 ? "true" : "false" })
}

extension SettingParser where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
    /// One of the enum's raw values, matched case-insensitively.
    static func choice(_ what: String) -> Self {
        let names = Value.allCases.map(\.rawValue)
        return SettingParser(
            type: "one of \(names.joined(separator: ", "))", expected: "\(what) (\(names.joined(separator: ", ")))",
            parse: { text, _ in Value(rawValue: text.lowercased()) }, format: { $0.rawValue })
    }
}

extension SettingParser {
    /// This parser, with `0`-valued text (or `off`) meaning none.
    func zeroIsOff() -> SettingParser<Value?> {
        let parse = self.parse
        let format = self.format
        return SettingParser<Value?>(
            type: "\(self.type), 0 = off", expected: "\(self.expected), or 0 for off",
            parse: { text, source in
                if text.lowercased() == "off" { return .some(nil) }
                guard let value = parse(text, source) else { return nil }
                return Self.isZero(text) ? .some(nil) : .some(value)
            }, format: { $0.map(format) ?? "off" })
    }

    /// This parser, where no value means `absent` (its text for the defaults column).
    func optional(absent: String) -> SettingParser<Value?> {
        let parse = self.parse
        let format = self.format
        return SettingParser<Value?>(
            type: self.type, expected: self.expected, parse: { text, source in parse(text, source).map { .some($0) } },
            format: { $0.map(format) ?? absent })
    }

    private static func isZero(_ text: String) -> Bool {
        let digits = text.drop { $0 == "0" }
        return digits.count < text.count && (digits.isEmpty || ["s", "m", "h", "ms"].contains(String(digits)))
    }
}

import Foundation

/// The `bundles.*` settings: where revisions come from besides `policies`, how they are checked,
/// and where the last good ones are kept.
package struct BundleSettings: Sendable, Hashable {
    /// An HTTP(S) URL serving a `.tar.gz` bundle, polled every ``pollInterval``; when set it is the
    /// source instead of `policies`.
    package var url: String?
    /// How often ``url`` is polled (with `If-None-Match`).
    package var pollInterval: Duration = .seconds(60)
    /// Whether an unsigned or wrongly signed bundle is refused.
    package var requireSignature = false
    /// The JWKS file holding the keys bundle signatures are verified with.
    package var keys: String?
    /// Where activated revisions are kept, for restarts without the source and for rollback.
    package var store = ".gatehouse/bundles"
    /// How many revisions the store keeps.
    package var keep = 5
    /// Whether a policy directory is watched for changes (inotify, else polling).
    package var watch = true
    /// Whether a revision's `*_test.yaml` cases must pass before it is activated.
    package var runTests = true

    package init() {}
}

/// Where `gatehouse serve` takes its policy revisions from.
package enum PolicySourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// A policy directory, snapshotted on every load.
    case directory(String)
    /// A `.tar.gz` bundle file.
    case bundleFile(String)
    /// A bundle served over HTTP(S), polled.
    case url(String)

    /// The source the settings name: `bundles.url` when set, else `policies` (a bundle file when it
    /// ends in `.tar.gz` or `.tgz`).
    package init(policies: String, bundles: BundleSettings) {
        if let url = bundles.url {
            self = .url(url)
        } else if policies.hasSuffix(".tar.gz") || policies.hasSuffix(".tgz") {
            self = .bundleFile(policies)
        } else {
            self = .directory(policies)
        }
    }

    package var description: String {
        switch self {
        case .directory(let path), .bundleFile(let path): return path
        case .url(let url): return url
        }
    }
}

extension SettingParser {
    /// This parser, where `none` (and no value) means absent: the default of an optional setting,
    /// written so that the defaults column reads back as the default.
    func noneIsAbsent() -> SettingParser<Value?> {
        let parse = self.parse
        let format = self.format
        return SettingParser<Value?>(
            type: self.type, expected: "\(self.expected), or none",
            parse: { text, source in text.lowercased() == "none" ? .some(nil) : parse(text, source).map { .some($0) } },
            format: { $0.map(format) ?? "none" })
    }
}

import Foundation
import GatehouseCore

/// One policy file's text and the path diagnostics will name.
package struct PolicySource: Sendable, Hashable {
    /// The path as diagnostics print it, e.g. `policies/health.yaml`.
    package var path: String
    /// The file's text.
    package var text: String

    package init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    /// Whether this file holds policy tests (`*_test.yaml`).
    package var isTestFile: Bool {
        let name = (self.path as NSString).lastPathComponent
        return name.hasSuffix("_test.yaml") || name.hasSuffix("_test.yml")
    }

    /// The largest file the compiler reads.
    package static let maximumBytes = 16 * 1024 * 1024

    /// Reads every `*.yaml` / `*.yml` file below `directory`, sorted by path.
    ///
    /// - Throws: ``PolicyError`` with code `unreadableSource` when the directory cannot be listed;
    ///   unreadable or oversized files become diagnostics instead, so one bad file is reported with the rest.
    package static func load(directory: String) throws(PolicyError) -> (
        sources: [PolicySource], diagnostics: [Diagnostic]
    ) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
            let enumerator = manager.enumerator(atPath: directory)
        else {
            throw PolicyError(
                code: .unreadableSource,
                message:
                    "The policy directory '\(directory)' does not exist or is not a directory; pass an existing directory."
            )
        }
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var sources: [PolicySource] = []
        var diagnostics: [Diagnostic] = []
        let relativePaths = enumerator.compactMap { $0 as? String }.filter {
            $0.hasSuffix(".yaml") || $0.hasSuffix(".yml")
        }
        for relative in relativePaths.sorted() {
            let path = base + "/" + relative
            let location = SourceLocation(file: path, line: 1, column: 1)
            guard let data = manager.contents(atPath: path) else {
                diagnostics.append(
                    Diagnostic(
                        .error, .ioError, "The file '\(path)' cannot be read; check its permissions.", at: location))
                continue
            }
            guard data.count <= maximumBytes else {
                diagnostics.append(
                    Diagnostic(
                        .error, .limitExceeded,
                        "The file is \(data.count) bytes, over the limit of \(maximumBytes); split it into several files.",
                        at: location))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                diagnostics.append(
                    Diagnostic(.error, .parseError, "The file is not valid UTF-8; save it as UTF-8.", at: location))
                continue
            }
            sources.append(PolicySource(path: path, text: text))
        }
        return (sources, diagnostics)
    }

    /// A short digest of the sources' paths and contents, used as the policy revision.
    ///
    /// FNV-1a over the sorted sources; it identifies a revision, it does not protect one (signed
    /// bundles with SHA-256 manifests do that).
    package static func revision(of sources: [PolicySource]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        // Byte by byte over the strings as they are: concatenating path, text and terminators
        // into one array first copied every file (13 MiB for a 100,000-rule policy).
        for source in sources.sorted(by: { $0.path < $1.path }) {
            var path = source.path
            var text = source.text
            path.withUTF8 { for byte in $0 { add(byte) } }
            add(0)
            text.withUTF8 { for byte in $0 { add(byte) } }
            add(0)
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

import Foundation
import GatehouseBundle
import Testing

/// Policy directories, bundles and stores for the bundle tests.
enum BundleFixtures {
    /// A small policy directory's files: a policy, a test and a key set in a subfolder.
    static let policyFiles: [String: String] = [
        "health.yaml": "kind: Policy\nname: health\nrules:\n  - name: ok\n    action: allow\n    paths: [/healthz]\n",
        "health_test.yaml": "kind: PolicyTest\n",
        "keys/issuer.jwks.json": "{\"keys\":[]}\n",
    ]

    /// Writes `files` (relative path → text) below `directory`.
    static func write(_ files: [String: String], to directory: URL) throws {
        for (path, text) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    /// Every regular file below `directory` (relative path → text), hidden ones included.
    static func read(_ directory: String) -> [String: String] {
        var out: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: directory + "/" + path, isDirectory: &isDirectory)
            if !isDirectory.boolValue {
                out[path] = String(
                    decoding: FileManager.default.contents(atPath: directory + "/" + path) ?? Data(), as: UTF8.self)
            }
        }
        return out
    }

    /// A built archive of `files`, with its manifest.
    static func archive(
        _ files: [String: String] = policyFiles, in directory: URL, name: String = "example", revision: String? = "r1"
    ) throws -> (bytes: [UInt8], manifest: BundleManifest) {
        let source = directory.appendingPathComponent("source-\(UUID().uuidString.prefix(6))")
        try Self.write(files, to: source)
        let built = try BundleArchive.build(
            directory: source.path, name: name, revision: revision, created: 1_765_000_000)
        try FileManager.default.removeItem(at: source)
        return (built.archive, built.manifest)
    }

    /// A RawTar holding `files` and a manifest of exactly them (`manifest` may be edited first).
    static func rawBundle(
        _ files: [String: String], edit: (inout BundleManifest) -> Void = { _ in }
    ) -> (tar: RawTar, manifest: BundleManifest) {
        var manifest = BundleManifest(
            name: "raw", revision: "r1", created: "2025-12-06T00:00:00Z",
            files: files.map { BundleFileHash(name: $0.key, hash: BundleHashing.sha256Hex(Array($0.value.utf8))) })
        edit(&manifest)
        var tar = RawTar()
        for (name, text) in files.sorted(by: { $0.key < $1.key }) { tar.file(name, text) }
        tar.file(".manifest.json", bytes: manifest.jsonBytes)
        return (tar, manifest)
    }

    /// A required-signature policy with a fake verifier holding `keys`.
    static func required(_ keys: Set<String>) -> BundleVerificationPolicy {
        BundleVerificationPolicy(requireSignature: true, verifier: FakeSignatureVerifier(keys: keys))
    }

    /// Expects `body` to throw a ``BundleError`` with `code`, and returns it.
    @discardableResult
    static func expectRefusal(
        _ code: BundleError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
    ) -> BundleError? {
        do {
            try body()
            Issue.record("expected \(code), but it was accepted", sourceLocation: sourceLocation)
            return nil
        } catch let error as BundleError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }
}

import Foundation
import GatehouseBundle
import GatehouseIdentity
import GatehouseTestSupport
import _CryptoExtras

/// The bundles the reload tests hand a running server: one valid kind and each kind it must refuse.
///
/// Archives are written with GatehouseBundle's own writer rather than `gatehouse bundle build`,
/// which compiles first and so could not make the compile-error bundle.
struct ReloadBundles {
    /// What a bundle is, and so what the server must do with it.
    enum Kind: String, CaseIterable, Sendable {
        /// Compiles, its tests pass, signed by the configured key: activated.
        case valid
        /// A policy that does not compile, correctly signed.
        case invalid
        /// Valid content without `.signatures.json`, while signatures are required.
        case unsigned
        /// Valid content signed by a key the server does not hold.
        case unknownKey
        /// Compiles, correctly signed, but one of its `*_test.yaml` cases fails.
        case failingTest

        /// The refusal code the status API must show; `nil` for a bundle that activates.
        var refusalCode: String? {
            switch self {
            case .valid: return nil
            case .invalid: return "compile_failed"
            case .unsigned: return "signature_missing"
            case .unknownKey: return "signature_unknown_key"
            case .failingTest: return "tests_failed"
            }
        }
    }

    /// The host the reload policy answers for.
    static let host = "reload.example"

    let signer: BundleSigningKey
    let stranger: BundleSigningKey

    /// Fresh keys: `signer`'s public JWKS is the server's bundle keys, `stranger`'s is not.
    init() throws {
        self.signer = try BundleSigningKey(
            pem: Curve25519.Signing.PrivateKey().pemRepresentation, keyID: "reload-test-signer")
        self.stranger = try BundleSigningKey(
            pem: Curve25519.Signing.PrivateKey().pemRepresentation, keyID: "reload-test-stranger")
    }

    /// The policy: `/public/**` allowed, the rest denied by default; `rules` extra rules to make it larger.
    static func policy(revision: String, rules: Int = 0) -> String {
        var text = """
            # Revision \(revision).
            kind: Policy
            name: reload
            select:
              hosts: [\(Self.host)]
            rules:
              - name: public
                action: allow
                methods: [GET]
                paths: [/public/**]

            """
        for index in 0..<rules {
            text += "  - { name: extra-\(index), action: allow, methods: [POST], paths: [/extra/\(index)/**] }\n"
        }
        return text
    }

    /// A passing test case (or, `failing`, one expecting the opposite of what the policy does).
    static func tests(failing: Bool) -> String {
        """
        kind: PolicyTests
        tests:
          - name: a public page is \(failing ? "denied (wrongly)" : "allowed")
            request: { method: GET, path: /public/page, host: \(Self.host) }
            expect: { decision: \(failing ? "deny" : "allow") }

        """
    }

    /// A `.tar.gz` bundle of `kind` at `revision`.
    func archive(_ kind: Kind, revision: String, in scratch: URL) throws -> [UInt8] {
        let directory = scratch.appendingPathComponent("bundle-\(revision)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var files = [
            "reload.yaml": Self.policy(revision: revision),
            "reload_test.yaml": Self.tests(failing: false),
        ]
        switch kind {
        case .invalid: files["broken.yaml"] = "kind: Policy\nname: broken\nrules:\n  - { name: x, action: perhaps }\n"
        case .failingTest: files["reload_test.yaml"] = Self.tests(failing: true)
        case .valid, .unsigned, .unknownKey: break
        }
        for (name, text) in files {
            try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        }
        let built = try BundleArchive.build(
            directory: directory.path, name: "reload", revision: revision, created: 1_790_000_000)
        switch kind {
        case .unsigned: return built.archive
        case .unknownKey: return try self.signed(built, by: self.stranger)
        case .valid, .invalid, .failingTest: return try self.signed(built, by: self.signer)
        }
    }

    private func signed(_ built: (archive: [UInt8], manifest: BundleManifest), by key: BundleSigningKey) throws
        -> [UInt8]
    {
        let signature = try key.sign(payload: BundleSignedContent(built.manifest).payload)
        return try BundleArchive.adding(signature: signature, to: built.archive)
    }
}

import Foundation
import GatehouseBundle
import GatehouseTestSupport
import Testing

@Suite("Bundle signatures", .bug(id: "12"), .timeLimit(.minutes(2)))
struct BundleSignatureTests {
    /// A built archive, signed by each of `kids` (in order), plus its manifest.
    private func signed(_ kids: [String], in directory: URL) throws -> (bytes: [UInt8], manifest: BundleManifest) {
        let built = try BundleFixtures.archive(in: directory)
        var bytes = built.bytes
        for kid in kids {
            bytes = try BundleArchive.adding(signature: FakeSignatureVerifier.sign(built.manifest, kid: kid), to: bytes)
        }
        return (bytes, built.manifest)
    }

    /// The archive's files with `.signatures.json` replaced by `signatures` (or removed when `nil`).
    private func replacingSignatures(_ archive: [UInt8], with signatures: String?) throws -> [UInt8] {
        try withTemporaryDirectory("bundle-resign") { directory in
            let file = directory.appendingPathComponent("b.tar.gz")
            try Data(archive).write(to: file)
            let tree = directory.appendingPathComponent("tree")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: false)
            _ = try ProcessRunner.run("/usr/bin/env", ["tar", "-xzf", file.path, "-C", tree.path])
            let signaturesFile = tree.appendingPathComponent(".signatures.json")
            try? FileManager.default.removeItem(at: signaturesFile)
            if let signatures { try Data(signatures.utf8).write(to: signaturesFile) }
            _ = try ProcessRunner.run("/usr/bin/env", ["tar", "-czf", file.path, "-C", tree.path, "."])
            return Array(try Data(contentsOf: file))
        }
    }

    private func verify(_ archive: [UInt8], _ policy: BundleVerificationPolicy) throws -> [String] {
        try BundleArchive.verify(archive, policy: policy).signedBy
    }

    @Test(
        "GHSA-g2pf-6v5v-qcc8: with signatures required, a bundle whose signature file was stripped is refused whatever keys are configured",
        .bug("https://github.com/open-policy-agent/opa/security/advisories/GHSA-g2pf-6v5v-qcc8"))
    func strippedSignatureIsRefused() throws {
        try withTemporaryDirectory("bundle-ghsa") { directory in
            let bundle = try self.signed(["k1"], in: directory)
            #expect(try self.verify(bundle.bytes, BundleFixtures.required(["k1"])) == ["k1"])
            let stripped = try self.replacingSignatures(bundle.bytes, with: nil)
            // No key id configured (an empty key set, or no verifier at all), or the right one: always refused.
            for policy in [
                BundleFixtures.required([]), BundleVerificationPolicy(requireSignature: true, verifier: nil),
                BundleFixtures.required(["k1"]),
            ] {
                BundleFixtures.expectRefusal(.signatureMissing) { _ = try self.verify(stripped, policy) }
            }
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            BundleFixtures.expectRefusal(.signatureMissing) {
                _ = try store.stage(.archive(stripped), policy: BundleFixtures.required([]))
            }
            #expect(store.kept().isEmpty)
            #expect((try FileManager.default.contentsOfDirectory(atPath: store.root + "/revisions")).isEmpty)
        }
    }

    @Test("Signatures required and no bundle keys configured refuses even a signed bundle")
    func requiredWithoutVerifier() throws {
        try withTemporaryDirectory("bundle-nokeys") { directory in
            let bundle = try self.signed(["k1"], in: directory)
            BundleFixtures.expectRefusal(.signatureUnknownKey) {
                _ = try self.verify(bundle.bytes, BundleVerificationPolicy(requireSignature: true, verifier: nil))
            }
        }
    }

    @Test("A plain directory (no manifest) is refused when signatures are required, derived otherwise")
    func plainDirectory() throws {
        try withTemporaryDirectory("bundle-plain") { directory in
            let policies = directory.appendingPathComponent("policies")
            try BundleFixtures.write(BundleFixtures.policyFiles, to: policies)
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            BundleFixtures.expectRefusal(.signatureMissing) {
                _ = try store.stage(.directory(policies.path), policy: BundleFixtures.required(["k1"]))
            }
            let staged = try store.stage(.directory(policies.path), policy: .unsigned)
            #expect(staged.isManifestDerived && staged.manifest.name == "policies")
            #expect(staged.manifest.revision.hasPrefix("sha256:"))
        }
    }

    @Test("Key rotation: one signature by a configured key is enough when the others are by unknown keys")
    func rotation() throws {
        try withTemporaryDirectory("bundle-rotation") { directory in
            let bundle = try self.signed(["old", "new"], in: directory)
            #expect(try self.verify(bundle.bytes, BundleFixtures.required(["new"])) == ["new"])
            #expect(try self.verify(bundle.bytes, BundleFixtures.required(["old"])) == ["old"])
            #expect(try self.verify(bundle.bytes, BundleFixtures.required(["old", "new"])) == ["new", "old"])
            BundleFixtures.expectRefusal(.signatureUnknownKey) {
                _ = try self.verify(bundle.bytes, BundleFixtures.required(["other"]))
            }
        }
    }

    @Test("A forged signature by a configured key is refused, even when another signature verifies")
    func forged() throws {
        try withTemporaryDirectory("bundle-forged") { directory in
            let built = try BundleFixtures.archive(in: directory)
            let good = FakeSignatureVerifier.sign(built.manifest, kid: "k1")
            let forged = FakeSignatureVerifier.sign(built.manifest, kid: "k2", valid: false)
            let archive = try BundleArchive.adding(
                signature: forged, to: BundleArchive.adding(signature: good, to: built.bytes))
            let error = BundleFixtures.expectRefusal(.signatureInvalid) {
                _ = try self.verify(archive, BundleFixtures.required(["k1", "k2"]))
            }
            #expect(error?.message.contains("Signature 2") == true)
        }
    }

    @Test("A signature over other content (another revision, a file list with one file fewer) is refused")
    func otherContent() throws {
        try withTemporaryDirectory("bundle-other-content") { directory in
            let built = try BundleFixtures.archive(in: directory)
            var otherRevision = built.manifest
            otherRevision.revision = "r0"
            var fewerFiles = built.manifest
            fewerFiles.files.removeLast()
            for claimed in [otherRevision, fewerFiles] {
                let archive = try BundleArchive.adding(
                    signature: FakeSignatureVerifier.sign(claimed, kid: "k1"), to: built.bytes)
                BundleFixtures.expectRefusal(.signatureInvalid) {
                    _ = try self.verify(archive, BundleFixtures.required(["k1"]))
                }
                // Also when the key that made it is unknown and another signature verifies.
                let mixed = try BundleArchive.adding(
                    signature: FakeSignatureVerifier.sign(built.manifest, kid: "k2"), to: archive)
                BundleFixtures.expectRefusal(.signatureInvalid) {
                    _ = try self.verify(mixed, BundleFixtures.required(["k2"]))
                }
            }
        }
    }

    @Test(
        "Malformed signature files and truncated signatures are signature_invalid",
        arguments: [
            "{\"signatures\": [\"abc\"]}", "{\"signatures\": [42]}", "{\"signatures\": \"x\"}", "[]", "not json",
        ])
    func malformed(signatures: String) throws {
        try withTemporaryDirectory("bundle-malformed-sig") { directory in
            let built = try BundleFixtures.archive(in: directory)
            let archive = try self.replacingSignatures(built.bytes, with: signatures)
            BundleFixtures.expectRefusal(.signatureInvalid) {
                _ = try self.verify(archive, BundleFixtures.required(["k1"]))
            }
        }
    }

    @Test("A signature cut short is refused")
    func truncated() throws {
        try withTemporaryDirectory("bundle-truncated-sig") { directory in
            let built = try BundleFixtures.archive(in: directory)
            let signature = FakeSignatureVerifier.sign(built.manifest, kid: "k1")
            let cut = String(signature.prefix(signature.count - 3))
            let archive = try BundleArchive.adding(signature: cut, to: built.bytes)
            BundleFixtures.expectRefusal(.signatureInvalid) {
                _ = try self.verify(archive, BundleFixtures.required(["k1"]))
            }
        }
    }

    @Test("An empty signature list is missing when required and invalid otherwise")
    func emptyList() throws {
        try withTemporaryDirectory("bundle-empty-sig") { directory in
            let built = try BundleFixtures.archive(in: directory)
            let archive = try self.replacingSignatures(built.bytes, with: "{\"signatures\": []}")
            BundleFixtures.expectRefusal(.signatureMissing) {
                _ = try self.verify(archive, BundleFixtures.required(["k1"]))
            }
            BundleFixtures.expectRefusal(.signatureInvalid) {
                _ = try self.verify(archive, BundleVerificationPolicy(requireSignature: false, verifier: nil))
            }
        }
    }

    @Test("Signatures not required: a present signature is still checked when keys are configured")
    func optionalButChecked() throws {
        try withTemporaryDirectory("bundle-optional") { directory in
            let built = try BundleFixtures.archive(in: directory)
            let optional = BundleVerificationPolicy(
                requireSignature: false, verifier: FakeSignatureVerifier(keys: ["k1"]))
            let forged = try BundleArchive.adding(
                signature: FakeSignatureVerifier.sign(built.manifest, kid: "k1", valid: false), to: built.bytes)
            BundleFixtures.expectRefusal(.signatureInvalid) { _ = try self.verify(forged, optional) }
            let good = try BundleArchive.adding(
                signature: FakeSignatureVerifier.sign(built.manifest, kid: "k1"), to: built.bytes)
            #expect(try self.verify(good, optional) == ["k1"])
            #expect(try self.verify(built.bytes, optional) == [])
            // No keys configured and not required: signatures cannot be checked, the bundle is unsigned.
            #expect(try self.verify(forged, .unsigned) == [])
        }
    }
}

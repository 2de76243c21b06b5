import Foundation
import GatehouseTestSupport
import Testing

/// `gatehouse bundle build|sign|verify|inspect|jwks` through the built binary, with keys made by openssl.
@Suite("gatehouse bundle", .bug(id: "12"), .timeLimit(.minutes(3)))
struct BundleCommandTests {
    /// A scratch directory with a copy of the example policies, an Ed25519 and a P-256 key and their JWKS.
    private func withKeys(_ body: (URL) throws -> Void) throws {
        try withTemporaryDirectory("cli-bundle") { directory in
            let policies = directory.appendingPathComponent("policies")
            try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("policies"), to: policies)
            for (name, arguments) in [
                ("ed.pem", ["-algorithm", "ed25519"]),
                ("p256.pem", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
            ] {
                let made = try ProcessRunner.run(
                    "/usr/bin/env",
                    ["openssl", "genpkey"] + arguments + ["-out", directory.appendingPathComponent(name).path])
                try #require(made.status == 0, "\(made.stderr)")
            }
            for (key, kid) in [("ed.pem", "admin-ed"), ("p256.pem", "admin-p256")] {
                let jwks = try self.run(
                    ["bundle", "jwks", "--key", key, "--kid", kid, "-o", kid + ".jwks"], in: directory)
                try #require(jwks.status == 0, "\(jwks.combined)")
            }
            try body(directory)
        }
    }

    /// The files below `directory` that a bundle holds (hidden names skipped).
    private static func fileCount(_ directory: URL) -> Int {
        let paths = FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? []
        return paths.filter { path in
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: directory.path + "/" + path, isDirectory: &isDirectory)
            return !isDirectory.boolValue && !path.split(separator: "/").contains { $0.hasPrefix(".") }
        }.count
    }

    private func run(_ arguments: [String], in directory: URL) throws -> ProcessRunner.Output {
        try ProcessRunner.run(Repository.gatehouse.path, arguments, directory: directory)
    }

    @Test("build → sign → verify → inspect: a signed bundle verifies under its key and inspect names the signature")
    func buildSignVerify() throws {
        try self.withKeys { directory in
            let built = try self.run(
                ["bundle", "build", "policies", "-o", "b.tar.gz", "--revision", "2026-12-05.1", "--name", "gov"],
                in: directory)
            #expect(built.status == 0, "\(built.combined)")
            #expect(built.stdout.contains("bundle 'gov' revision 2026-12-05.1"))
            #expect(
                !FileManager.default.fileExists(
                    atPath: directory.appendingPathComponent("policies/.manifest.json").path))
            let signed = try self.run(
                ["bundle", "sign", "b.tar.gz", "--key", "ed.pem", "--kid", "admin-ed"], in: directory)
            #expect(signed.status == 0, "\(signed.combined)")
            let verified = try self.run(
                ["bundle", "verify", "b.tar.gz", "--keys", "admin-ed.jwks", "--require-signature"], in: directory)
            #expect(verified.status == 0, "\(verified.combined)")
            let count = BundleCommandTests.fileCount(directory.appendingPathComponent("policies"))
            #expect(
                verified.stdout
                    == "b.tar.gz: valid: bundle 'gov' revision 2026-12-05.1, \(count) files, signed by admin-ed\n")
            let inspected = try self.run(["bundle", "inspect", "b.tar.gz", "--keys", "admin-ed.jwks"], in: directory)
            #expect(inspected.status == 0, "\(inspected.combined)")
            for line in [
                "name: gov", "revision: 2026-12-05.1", "files: \(count) (every hash matches)", "  keys/idp.jwks.json",
                "signatures: 1", "  kid admin-ed, alg EdDSA, verifies",
            ] {
                #expect(inspected.stdout.contains(line), "missing '\(line)' in \(inspected.stdout)")
            }
            // GNU tar reads the signed archive.
            let listed = try ProcessRunner.run(
                "/usr/bin/env", ["tar", "-tzf", directory.appendingPathComponent("b.tar.gz").path])
            #expect(listed.stdout.contains(".signatures.json\n") && listed.stdout.contains("health.yaml\n"))
        }
    }

    @Test("The same directory, name, revision and creation time build the same bytes")
    func deterministicBuild() throws {
        try self.withKeys { directory in
            for output in ["one.tar.gz", "two.tar.gz"] {
                let built = try self.run(
                    ["bundle", "build", "policies", "-o", output, "--revision", "r1"], in: directory
                )
                .status
                #expect(built == 0)
            }
            let environment = ["SOURCE_DATE_EPOCH": "1765000000"]
            for output in ["three.tar.gz", "four.tar.gz"] {
                let built = try ProcessRunner.run(
                    Repository.gatehouse.path, ["bundle", "build", "policies", "-o", output], environment: environment,
                    directory: directory)
                #expect(built.status == 0)
            }
            let read = { (name: String) in try Data(contentsOf: directory.appendingPathComponent(name)) }
            #expect(try read("three.tar.gz") == read("four.tar.gz"))
            let inspected = try self.run(["bundle", "inspect", "three.tar.gz"], in: directory)
            #expect(inspected.stdout.contains("created: 2025-12-06T05:46:40Z"))
            #expect(inspected.stdout.contains("revision: sha256:"))
        }
    }

    @Test("build refuses a directory that does not compile (exit 2) and writes no bundle")
    func buildRefusesBrokenPolicies() throws {
        try self.withKeys { directory in
            try Data("kind: Policy\nname: broken\nrules:\n  - name: r\n    pathz: [/a]\n".utf8)
                .write(to: directory.appendingPathComponent("policies/broken.yaml"))
            let built = try self.run(["bundle", "build", "policies", "-o", "b.tar.gz"], in: directory)
            #expect(built.status == 2)
            #expect(built.stdout.contains("policies/broken.yaml:5:5: policy_unknown_key"), "\(built.combined)")
            #expect(!built.combined.contains("gatehouse-bundle-build-"), "the temporary copy's path leaked")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("b.tar.gz").path))
        }
    }

    @Test(
        "verify --require-signature refuses unsigned, stripped (GHSA-g2pf-6v5v-qcc8) and unknown-key bundles with exit 2"
    )
    func verifyRefusals() throws {
        try self.withKeys { directory in
            _ = try self.run(["bundle", "build", "policies", "-o", "b.tar.gz", "--revision", "r1"], in: directory)
            let unsigned = try self.run(
                ["bundle", "verify", "b.tar.gz", "--keys", "admin-ed.jwks", "--require-signature"], in: directory)
            #expect(unsigned.status == 2)
            #expect(unsigned.stderr.hasPrefix("signature_missing: "), "\(unsigned.combined)")
            #expect(try self.run(["bundle", "verify", "b.tar.gz"], in: directory).status == 0)

            _ = try self.run(["bundle", "sign", "b.tar.gz", "--key", "p256.pem", "--kid", "admin-p256"], in: directory)
            let unknown = try self.run(
                ["bundle", "verify", "b.tar.gz", "--keys", "admin-ed.jwks", "--require-signature"], in: directory)
            #expect(unknown.status == 2)
            #expect(unknown.stderr.hasPrefix("signature_unknown_key: "), "\(unknown.combined)")

            // Strip .signatures.json with GNU tar, as an attacker would.
            let tree = directory.appendingPathComponent("tree")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: false)
            _ = try ProcessRunner.run(
                "/usr/bin/env", ["tar", "-xzf", directory.appendingPathComponent("b.tar.gz").path, "-C", tree.path])
            try FileManager.default.removeItem(at: tree.appendingPathComponent(".signatures.json"))
            _ = try ProcessRunner.run(
                "/usr/bin/env",
                ["tar", "-czf", directory.appendingPathComponent("stripped.tar.gz").path, "-C", tree.path, "."])
            let stripped = try self.run(
                ["bundle", "verify", "stripped.tar.gz", "--keys", "admin-p256.jwks", "--require-signature"],
                in: directory)
            #expect(stripped.status == 2)
            #expect(stripped.stderr.hasPrefix("signature_missing: "), "\(stripped.combined)")

            // A file changed after signing: verify and sign both refuse it.
            try Data("kind: Policy\nname: health\nrules: []\n".utf8).write(
                to: tree.appendingPathComponent("health.yaml"))
            _ = try ProcessRunner.run(
                "/usr/bin/env",
                ["tar", "-czf", directory.appendingPathComponent("edited.tar.gz").path, "-C", tree.path, "."])
            let edited = try self.run(["bundle", "verify", "edited.tar.gz"], in: directory)
            #expect(edited.status == 2 && edited.stderr.hasPrefix("hash_mismatch: "), "\(edited.combined)")
            let signEdited = try self.run(
                ["bundle", "sign", "edited.tar.gz", "--key", "ed.pem", "--kid", "admin-ed"], in: directory)
            #expect(signEdited.status == 2 && signEdited.stderr.hasPrefix("hash_mismatch: "), "\(signEdited.combined)")
        }
    }

    @Test("Key rotation: a bundle signed by the old and the new key verifies under either key set")
    func rotation() throws {
        try self.withKeys { directory in
            _ = try self.run(["bundle", "build", "policies", "-o", "b.tar.gz", "--revision", "r1"], in: directory)
            _ = try self.run(["bundle", "sign", "b.tar.gz", "--key", "ed.pem", "--kid", "admin-ed"], in: directory)
            let second = try self.run(
                ["bundle", "sign", "b.tar.gz", "--key", "p256.pem", "--kid", "admin-p256", "-o", "both.tar.gz"],
                in: directory)
            #expect(second.stdout.contains("(2 signatures)"), "\(second.combined)")
            for (keys, kid) in [("admin-ed.jwks", "admin-ed"), ("admin-p256.jwks", "admin-p256")] {
                let verified = try self.run(
                    ["bundle", "verify", "both.tar.gz", "--keys", keys, "--require-signature"], in: directory)
                #expect(verified.status == 0 && verified.stdout.hasSuffix("signed by \(kid)\n"), "\(verified.combined)")
            }
            let inspected = try self.run(
                ["bundle", "inspect", "both.tar.gz", "--keys", "admin-p256.jwks"], in: directory)
            #expect(inspected.stdout.contains("kid admin-ed, alg EdDSA, does not verify (signature_unknown_key"))
            #expect(inspected.stdout.contains("kid admin-p256, alg ES256, verifies"))
        }
    }

    @Test("A file that is not a bundle is refused with exit 2 and archive_corrupt")
    func notABundle() throws {
        try self.withKeys { directory in
            for verb in [["verify"], ["inspect"]] {
                let output = try self.run(["bundle"] + verb + ["ed.pem"], in: directory)
                #expect(output.status == 2 && output.stderr.hasPrefix("archive_corrupt: "), "\(output.combined)")
            }
        }
    }
}

import Foundation
import GatehouseTestSupport
import Testing

/// Bundles signed and packed by other tools verify: the signature file written by Python's
/// `tarfile` and PyJWT (what an OPA user's tooling would do), checked by `gatehouse bundle verify`.
///
/// PyJWT and cryptography come from the end-to-end virtualenv (`Scripts/provision.sh`); a
/// provisioning failure is a test failure, never a skip.
@Suite("Bundle interoperability", .bug(id: "12"), .timeLimit(.minutes(3)))
struct BundleInteropTests {
    /// Reads `{"in", "out", "keys": [{"pem", "alg", "kid"}]}` on stdin; re-packs `in` into `out`
    /// with a `.signatures.json` holding one PyJWT signature per key over the manifest's content.
    static let script = """
        import io, json, sys, tarfile, jwt
        from cryptography.hazmat.primitives import serialization
        spec = json.load(sys.stdin)
        with tarfile.open(spec["in"], "r:gz") as archive:
            members = [(m, archive.extractfile(m).read() if m.isfile() else None) for m in archive.getmembers()]
        manifest = json.loads(next(data for m, data in members if m.name.removeprefix("./") == ".manifest.json"))
        payload = {"files": manifest["files"], "name": manifest["name"], "revision": manifest["revision"]}
        signatures = []
        for key in spec["keys"]:
            private = serialization.load_pem_private_key(open(key["pem"], "rb").read(), password=None)
            signatures.append(jwt.encode(payload, private, algorithm=key["alg"], headers={"kid": key["kid"]}))
        with tarfile.open(spec["out"], "w:gz", format=tarfile.PAX_FORMAT) as archive:
            for member, data in members:
                archive.addfile(member, io.BytesIO(data) if data is not None else None)
            data = json.dumps({"signatures": signatures}).encode()
            info = tarfile.TarInfo(".signatures.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        """

    private func gatehouse(_ arguments: [String], in directory: URL) async throws -> ProcessRunner.Output {
        try await ProcessRunner.run(Repository.gatehouse.path, arguments, directory: directory)
    }

    @Test("A bundle signed with PyJWT (EdDSA and ES256) and packed by Python's tarfile verifies")
    func pyJWTSignedBundleVerifies() async throws {
        let python = try await Provisioning.python()
        try await withTemporaryDirectory("bundle-interop") { directory in
            for (name, arguments) in [
                ("ed.pem", ["-algorithm", "ed25519"]),
                ("p256.pem", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
            ] {
                let made = try await ProcessRunner.run(
                    "/usr/bin/env",
                    ["openssl", "genpkey"] + arguments + ["-out", directory.appendingPathComponent(name).path])
                try #require(made.status == 0, "\(made.stderr)")
            }
            for (key, kid) in [("ed.pem", "py-ed"), ("p256.pem", "py-p256")] {
                let jwks = try await self.gatehouse(
                    ["bundle", "jwks", "--key", key, "--kid", kid, "-o", kid + ".jwks"], in: directory)
                try #require(jwks.status == 0, "\(jwks.combined)")
            }
            let built = try await self.gatehouse(
                ["bundle", "build", Repository.url("policies").path, "-o", "b.tar.gz", "--revision", "py-1"],
                in: directory)
            try #require(built.status == 0, "\(built.combined)")
            let spec: [String: Any] = [
                "in": directory.appendingPathComponent("b.tar.gz").path,
                "out": directory.appendingPathComponent("signed.tar.gz").path,
                "keys": [
                    ["pem": directory.appendingPathComponent("ed.pem").path, "alg": "EdDSA", "kid": "py-ed"],
                    ["pem": directory.appendingPathComponent("p256.pem").path, "alg": "ES256", "kid": "py-p256"],
                ],
            ]
            let input = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
            let signed = try await ProcessRunner.run(python, ["-c", Self.script], input: input)
            try #require(signed.status == 0, "\(signed.combined)")
            for (keys, kid) in [("py-ed.jwks", "py-ed"), ("py-p256.jwks", "py-p256")] {
                let verified = try await self.gatehouse(
                    ["bundle", "verify", "signed.tar.gz", "--keys", keys, "--require-signature"], in: directory)
                #expect(verified.status == 0, "\(verified.combined)")
                #expect(verified.stdout.contains("revision py-1, ") && verified.stdout.hasSuffix("signed by \(kid)\n"))
            }
            let inspected = try await self.gatehouse(
                ["bundle", "inspect", "signed.tar.gz", "--keys", "py-ed.jwks"], in: directory)
            #expect(inspected.stdout.contains("kid py-ed, alg EdDSA, verifies"), "\(inspected.stdout)")
            #expect(inspected.stdout.contains("kid py-p256, alg ES256, does not verify (signature_unknown_key"))
        }
    }
}

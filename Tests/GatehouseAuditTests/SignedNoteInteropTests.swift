import Foundation
import GatehouseAudit
import GatehouseCore
import GatehouseTestSupport
import Testing

/// Signed notes and keys cross-checked with an independent implementation: Python's
/// `cryptography` (Ed25519, PKCS#8) and a signed-note reader and writer written from the C2SP
/// spec in the script below.
@Suite(.bug(id: "13"), .timeLimit(.minutes(2))) struct SignedNoteInteropTests {
    /// Candidates, best first: the end-to-end virtualenv once provisioned (its stamp), else the system's.
    static var candidates: [String] {
        let venv = ProcessInfo.processInfo.environment["GATEHOUSE_E2E_VENV"] ?? Repository.url(".build/e2e-venv").path
        let provisioned = FileManager.default.fileExists(atPath: venv + "/.provisioned-2")
        return ((provisioned ? [venv + "/bin/python3"] : []) + ["/usr/bin/python3", "/usr/local/bin/python3"])
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let hasPython = !candidates.isEmpty

    /// The first candidate that imports `cryptography`, found without blocking a cooperative thread.
    static func python() async throws -> String? {
        for candidate in Self.candidates {
            let output = try await ProcessRunner.run(
                candidate, ["-c", "from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey"],
                timeout: .seconds(30))
            if output.status == 0 { return candidate }
        }
        return nil
    }

    static let script = #"""
        import base64, hashlib, sys
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

        def key_id(name, public):
            return hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]

        mode = sys.argv[1]
        if mode == "verify":
            name, kid, key = sys.argv[2].split("+", 2)
            raw = base64.b64decode(key)
            assert raw[0] == 1 and len(raw) == 33, "not an Ed25519 verifier key"
            assert key_id(name, raw[1:]).hex() == kid, "key id does not match"
            note = sys.stdin.read()
            text, signatures = note.rsplit("\n\n", 1)
            text += "\n"
            verified = False
            for line in signatures.splitlines():
                assert line.startswith("\u2014 "), line
                signer, blob = line[2:].split(" ")
                blob = base64.b64decode(blob)
                if signer == name and blob[:4].hex() == kid:
                    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:], text.encode())
                    verified = True
            assert verified, "no signature by the key"
            origin, size, root = text.split("\n")[:3]
            print("verified", origin, size, base64.b64decode(root).hex())
        elif mode == "sign":
            name = sys.argv[2]
            body = sys.stdin.read()
            private = Ed25519PrivateKey.generate()
            public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            print(name + "+" + key_id(name, public).hex() + "+" + base64.b64encode(b"\x01" + public).decode())
            signature = private.sign(body.encode())
            sys.stdout.write(body + "\n\u2014 " + name + " " + base64.b64encode(key_id(name, public) + signature).decode() + "\n")
        elif mode == "pem":
            private = serialization.load_pem_private_key(sys.stdin.read().encode(), password=None)
            public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            print(base64.b64encode(public).decode())
        """#

    @Test(
        "Python's cryptography verifies our checkpoint note, signs one we verify, and reads our PKCS#8 key",
        .enabled(if: Self.hasPython, "python3 is not installed"))
    func crossCheck() async throws {
        guard let python = try await Self.python() else {
            Issue.record("python3 has no 'cryptography' module: pip install cryptography")
            return
        }
        let key = try AuditSigningKey.generate(name: "gh.example/audit/gh-1")
        let checkpoint = Checkpoint(
            origin: key.name, size: 70, root: Merkle.leafHash([7]), time: UnixTime(seconds: 1_796_517_312),
            instance: "gh-1")
        let note = checkpoint.signed(by: key)
        let verified = try await ProcessRunner.run(
            python, ["-c", Self.script, "verify", key.verifierKey.text], input: note)
        #expect(verified.status == 0, "\(verified.combined)")
        #expect(verified.stdout == "verified gh.example/audit/gh-1 70 \(Merkle.leafHash([7]).hex)\n")

        // A note altered after signing must fail there too (the check is real).
        let altered = try await ProcessRunner.run(
            python, ["-c", Self.script, "verify", key.verifierKey.text],
            input: note.replacingOccurrences(of: "\n70\n", with: "\n71\n"))
        #expect(altered.status != 0)

        // Python signs a body of ours with its own key: we parse its verifier key and verify its note.
        let signed = try await ProcessRunner.run(
            python, ["-c", Self.script, "sign", "py.example/log"],
            input: Checkpoint(
                origin: "py.example/log", size: 5, root: Merkle.emptyRoot, time: UnixTime(seconds: 0), instance: "py"
            ).body)
        #expect(signed.status == 0, "\(signed.combined)")
        let (keyLine, pythonNote) = try #require(
            signed.stdout.firstIndex(of: "\n").map {
                (String(signed.stdout[..<$0]), String(signed.stdout[signed.stdout.index(after: $0)...]))
            })
        let pythonKey = try AuditVerifierKey(text: keyLine)
        let opened = try Checkpoint.open(pythonNote, verifier: pythonKey)
        #expect(opened.size == 5 && opened.root == Merkle.emptyRoot && opened.instance == "py")
        #expect(throws: AuditError.self) { try Checkpoint.open(pythonNote, verifier: key.verifierKey) }

        // Our PEM is a PKCS#8 document another implementation reads to the same public key.
        let pem = try await ProcessRunner.run(python, ["-c", Self.script, "pem"], input: key.pem)
        #expect(pem.status == 0, "\(pem.combined)")
        #expect(pem.stdout == Data(key.verifierKey.publicKey).base64EncodedString() + "\n")
    }
}

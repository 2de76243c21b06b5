import Foundation
import GatehouseAudit
import GatehouseTestSupport
import Testing

@Suite(.bug(id: "13")) struct AuditSigningKeyTests {
    static let seed = [UInt8](repeating: 7, count: 32)

    @Test("loadOrCreate writes a PKCS#8 PEM of mode 0600 in a new 0700 directory, then loads the same key")
    func createThenLoad() async throws {
        try await withTemporaryDirectory("audit-key") { directory in
            let path = directory.appendingPathComponent("keys/audit.pem").path
            let created = try AuditSigningKey.loadOrCreate(path: path, name: "gh.example/audit/a")
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let directoryAttributes = try FileManager.default.attributesOfItem(
                atPath: directory.appendingPathComponent("keys").path)
            #expect((directoryAttributes[.posixPermissions] as? Int) == 0o700)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"))
            let loaded = try AuditSigningKey.loadOrCreate(path: path, name: "gh.example/audit/a")
            #expect(loaded.verifierKey == created.verifierKey)
            #expect(loaded.pem == text)
        }
    }

    @Test("A key file that group or others may read is refused, naming the file and the fix")
    func refusesReadableByOthers() async throws {
        try await withTemporaryDirectory("audit-key") { directory in
            let path = directory.appendingPathComponent("audit.pem").path
            _ = try AuditSigningKey.loadOrCreate(path: path, name: "n")
            for mode in [0o640, 0o604, 0o644] {
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
                let error = #expect(throws: AuditError.self) { try AuditSigningKey.loadOrCreate(path: path, name: "n") }
                #expect(error?.code == .keyUnsafe)
                #expect(error?.message.contains("chmod 600 \(path)") == true)
            }
        }
    }

    @Test("Files that are not Ed25519 PKCS#8 keys are refused as key_invalid")
    func refusesOtherKeys() async throws {
        try await withTemporaryDirectory("audit-key") { directory in
            let path = directory.appendingPathComponent("audit.pem").path
            // An EC P-256 key in PKCS#8 is a PRIVATE KEY too, but not Ed25519.
            let p256 =
                "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
            for text in ["not a key", p256, "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n"] {
                FileManager.default.createFile(
                    atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
                let error = #expect(throws: AuditError.self) { try AuditSigningKey.load(path: path, name: "n") }
                #expect(error?.code == .keyInvalid)
                try FileManager.default.removeItem(atPath: path)
            }
            let missing = #expect(throws: AuditError.self) { try AuditSigningKey.load(path: path, name: "n") }
            #expect(missing?.code == .keyUnreadable)
        }
    }

    @Test("The verifier key's text form: name, key id from SHA-256(name ‖ LF ‖ 0x01 ‖ key), base64(0x01 ‖ key)")
    func verifierKeyText() throws {
        let key = try AuditSigningKey(name: "gh.example/audit/a", seed: Self.seed)
        let verifier = key.verifierKey
        let parts = verifier.text.split(separator: "+", maxSplits: 2)
        #expect(parts.count == 3)
        #expect(parts[0] == "gh.example/audit/a")
        let raw = try #require(Data(base64Encoded: String(parts[2])))
        #expect(raw.count == 33 && raw.first == 0x01)
        let expectedID = Array(SHA256Reference.hash(Array("gh.example/audit/a\n".utf8) + Array(raw))).prefix(4)
        #expect(String(parts[1]) == expectedID.map { String(format: "%02x", $0) }.joined())
        #expect(try AuditVerifierKey(text: verifier.text + "\n") == verifier)
        // A key id that does not belong to the name, a changed name, a bad algorithm byte.
        let wrongID = "\(parts[0])+00000000+\(parts[2])"
        let renamed = "gh.example/audit/b+\(parts[1])+\(parts[2])"
        let otherAlgorithm = "\(parts[0])+\(parts[1])+\(Data([0x02] + raw.dropFirst()).base64EncodedString())"
        for text in [wrongID, renamed, otherAlgorithm, "x", "a+b+c", "a b+12345678+AAAA"] {
            let error = #expect(throws: AuditError.self) { try AuditVerifierKey(text: text) }
            #expect(error?.code == .keyInvalid)
        }
        #expect(throws: AuditError.self) { try AuditSigningKey(name: "has space", seed: Self.seed) }
        #expect(throws: AuditError.self) { try AuditSigningKey(name: "a+b", seed: Self.seed) }
        #expect(throws: AuditError.self) { try AuditSigningKey(name: "", seed: Self.seed) }
    }

    @Test("Verifier keys whose base64 holds '+' parse back (names cannot hold it, keys can)")
    func plusInKey() throws {
        var sawPlus = false
        for _ in 0..<64 {
            let verifier = try AuditSigningKey.generate(name: "n").verifierKey
            sawPlus = sawPlus || verifier.text.dropFirst(11).contains("+")
            #expect(try AuditVerifierKey(text: verifier.text) == verifier)
        }
        #expect(sawPlus)
    }

    @Test("Signatures verify with the verifier key and no other; a changed message fails")
    func signAndVerify() throws {
        let key = try AuditSigningKey(name: "a", seed: Self.seed)
        let other = try AuditSigningKey.generate(name: "a")
        let signature = key.sign(Array("hello\n".utf8))
        #expect(signature.count == 64)
        #expect(key.verifierKey.isValidSignature(signature, for: Array("hello\n".utf8)))
        #expect(!key.verifierKey.isValidSignature(signature, for: Array("hello!".utf8)))
        #expect(!other.verifierKey.isValidSignature(signature, for: Array("hello\n".utf8)))
        #expect(try AuditSigningKey(name: "a", pem: key.pem).verifierKey == key.verifierKey)
    }
}

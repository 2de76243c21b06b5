import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import Logging
import Testing
import _CryptoExtras

/// Shared secrets with a key id: `secretFile` + `kid`, and `oct` keys in a JWKS file (never from a URL).
@Suite("Shared secrets with a kid")
struct SharedSecretKeyIDTests {
    static let issuer = "https://hs.example"
    static let now: Int64 = 1_750_000_000
    static let first = Array("the first shared secret, 32 bytes or more".utf8)
    static let second = Array("the second shared secret, rotated in later".utf8)

    /// An HS token for ``issuer`` naming `kid` (or none), signed with `secret`.
    static func token(_ algorithm: JWSAlgorithm = .hs256, kid: String?, secret: [UInt8]) -> String {
        let header =
            kid.map { #"{"alg":"\#(algorithm.rawValue)","kid":"\#($0)"}"# } ?? #"{"alg":"\#(algorithm.rawValue)"}"#
        let payload = #"{"iss":"\#(issuer)","sub":"u1","exp":\#(now + 60)}"#
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        let key = SymmetricKey(data: secret)
        let tag: [UInt8]
        switch algorithm {
        case .hs384: tag = Array(HMAC<SHA384>.authenticationCode(for: Array(input.utf8), using: key))
        case .hs512: tag = Array(HMAC<SHA512>.authenticationCode(for: Array(input.utf8), using: key))
        default: tag = Array(HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: key))
        }
        return input + "." + Base64URL.encode(tag)
    }

    /// An `oct` JWK with `kid` and the secret as `k`, plus raw extra members.
    static func oct(kid: String?, _ secret: [UInt8], extra: String = "") -> String {
        let id = kid.map { #","kid":"\#($0)""# } ?? ""
        return #"{"kty":"oct"\#(id),"k":"\#(Base64URL.encode(secret))"\#(extra)}"#
    }

    static func jwks(_ keys: [String]) -> [UInt8] { Array(#"{"keys":[\#(keys.joined(separator: ","))]}"#.utf8) }

    /// What verifying `token` against `keys` (for the HS algorithms) gives: `verified`, or the `token_*` detail.
    static func outcome(_ token: String, keys: KeySet, algorithms: Set<JWSAlgorithm> = [.hs256, .hs384]) async
        -> String
    {
        let verifier = TokenVerifier(issuers: [
            IssuerSettings(issuer: Self.issuer, algorithms: algorithms, keys: StaticKeySet(keys))
        ])
        let request = AuthzRequest(headers: [("authorization", "Bearer " + token)], time: UnixTime(seconds: Self.now))
        switch await verifier.verify(request) {
        case .verified: return "verified"
        case .absent: return "absent"
        case .rejected(let failure): return failure.detail?.code ?? "\(failure)"
        }
    }

    // MARK: secretFile + kid

    @Test("A secret with a kid verifies a token naming that kid, and one naming none")
    func secretWithKeyID() async throws {
        let keys = try KeySet.sharedSecret(Self.first, origin: "hs.secret", keyID: "hs-1")
        #expect(keys.keys.map(\.keyID) == ["hs-1"])
        #expect(await Self.outcome(Self.token(kid: "hs-1", secret: Self.first), keys: keys) == "verified")
        #expect(await Self.outcome(Self.token(kid: nil, secret: Self.first), keys: keys) == "verified")
    }

    @Test("A secret with a kid refuses a token naming another kid: token_key_unknown, as today")
    func secretWithOtherKeyID() async throws {
        let keys = try KeySet.sharedSecret(Self.first, origin: "hs.secret", keyID: "hs-1")
        #expect(await Self.outcome(Self.token(kid: "hs-2", secret: Self.first), keys: keys) == "token_key_unknown")
    }

    @Test("A secret without a kid keeps working as before: no kid verifies, any kid is unknown")
    func secretWithoutKeyID() async throws {
        let keys = try KeySet.sharedSecret(Self.first, origin: "hs.secret")
        #expect(await Self.outcome(Self.token(kid: nil, secret: Self.first), keys: keys) == "verified")
        #expect(await Self.outcome(Self.token(kid: "hs-1", secret: Self.first), keys: keys) == "token_key_unknown")
    }

    // MARK: oct keys in a JWKS file

    @Test("oct keys in a JWKS file load as shared secrets that verify HS algorithms only")
    func octKeysInFile() throws {
        let set = try KeySet.parse(
            jwks: Self.jwks([
                Self.oct(kid: "a", Self.first), Self.oct(kid: "b", Self.second, extra: #","alg":"HS512""#),
            ]),
            origin: "keys.jwks", source: .file)
        #expect(set.keys.map(\.keyID) == ["a", "b"])
        #expect(set.warnings.isEmpty, "the secret 'k' is not a private member to warn about")
        #expect(JWSAlgorithm.allCases.filter { set.keys[0].isUsable(for: $0) } == [.hs256, .hs384, .hs512])
        #expect(JWSAlgorithm.allCases.filter { set.keys[1].isUsable(for: $0) } == [.hs512])
    }

    @Test("A token naming a kid of the JWKS file verifies with that secret only")
    func tokenPicksItsSecret() async throws {
        let set = try KeySet.parse(
            jwks: Self.jwks([Self.oct(kid: "a", Self.first), Self.oct(kid: "b", Self.second)]), origin: "k",
            source: .file)
        #expect(await Self.outcome(Self.token(kid: "a", secret: Self.first), keys: set) == "verified")
        #expect(await Self.outcome(Self.token(.hs384, kid: "b", secret: Self.second), keys: set) == "verified")
        #expect(await Self.outcome(Self.token(kid: "a", secret: Self.second), keys: set) == "token_signature_invalid")
        #expect(await Self.outcome(Self.token(kid: "c", secret: Self.first), keys: set) == "token_key_unknown")
        #expect(await Self.outcome(Self.token(kid: nil, secret: Self.first), keys: set) == "token_key_ambiguous")
    }

    @Test(
        "An oct key a JWKS file cannot use is skipped with a warning naming why",
        arguments: [
            (oct(kid: "short", Array("too short".utf8)), "the shared secret ('k') has 9 bytes; at least 32"),
            (oct(kid: "rs", first, extra: #","alg":"RS256""#), "which a 'oct' key cannot verify"),
            (oct(kid: "enc", first, extra: #","use":"enc""#), "'use' is 'enc'"),
            (#"{"kty":"oct","kid":"no-k"}"#, "'k' is missing"),
            (#"{"kty":"oct","kid":"padded","k":"c2VjcmV0=="}"#, "'k' is not unpadded base64url"),
        ])
    func unusableOctKey(entry: String, reason: String) throws {
        let set = try KeySet.parse(
            jwks: Self.jwks([Self.oct(kid: "good", Self.first), entry]), origin: "keys.jwks", source: .file)
        #expect(set.keys.map(\.keyID) == ["good"])
        #expect(set.warnings.count == 1)
        #expect(set.warnings.first?.contains(reason) == true, "\(set.warnings)")
    }

    @Test(
        "Key confusion stays refused: an HS token never verifies with the RSA key beside the secrets, by kid or not",
        .bug(id: "11"))
    func keyConfusion() async throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let primitives = try rsa.publicKey.getKeyPrimitives()
        let rsaJWK =
            #"{"kty":"RSA","kid":"rsa","n":"\#(Base64URL.encode(primitives.modulus))","e":"\#(Base64URL.encode(primitives.publicExponent))"}"#
        let set = try KeySet.parse(
            jwks: Self.jwks([rsaJWK, Self.oct(kid: "a", Self.first)]), origin: "k", source: .file)
        let publicDER = Array(rsa.publicKey.derRepresentation)
        #expect(await Self.outcome(Self.token(kid: "rsa", secret: publicDER), keys: set) == "token_key_unknown")
        #expect(await Self.outcome(Self.token(kid: "a", secret: publicDER), keys: set) == "token_signature_invalid")
        // Without a kid the one secret is the only HS key: the RSA key is never a candidate.
        #expect(await Self.outcome(Self.token(kid: nil, secret: publicDER), keys: set) == "token_signature_invalid")
        #expect(await Self.outcome(Self.token(kid: nil, secret: Self.first), keys: set) == "verified")
    }

    // MARK: oct keys from a URL

    @Test(
        "A JWKS from a URL holding an oct key is refused whole with jwks_secret_published, even a malformed one",
        arguments: [oct(kid: "leaked", first), #"{"kty":"oct"}"#, oct(kid: nil, Array("short".utf8))])
    func octKeysFromURL(entry: String) throws {
        let p256 = P256.Signing.PrivateKey().publicKey.rawRepresentation
        let ecJWK =
            #"{"kty":"EC","crv":"P-256","kid":"ec","x":"\#(Base64URL.encode(p256.prefix(32)))","y":"\#(Base64URL.encode(p256.suffix(32)))"}"#
        let document = Self.jwks([ecJWK, entry])
        let error = #expect(throws: IdentityError.self) {
            try KeySet.parse(jwks: document, origin: "https://idp.example/jwks", source: .url)
        }
        #expect(error?.code == .keySetPublishesSecret)
        #expect(error?.code.description == "jwks_secret_published")
        #expect(error?.message.contains("'https://idp.example/jwks'") == true)
        #expect(error?.message.contains("key 1") == true)
        #expect(error?.message.contains("Remove the 'oct' key") == true)
        // The same document from a file loads its usable keys.
        #expect((try? KeySet.parse(jwks: document, origin: "keys.jwks", source: .file)) != nil)
    }

    /// Answers every GET with the document it holds.
    final class FixedFetcher: HTTPFetching {
        let body: [UInt8]
        init(_ body: [UInt8]) { self.body = body }
        func get(_ url: String, timeout: Duration, maximumBytes: Int) async throws -> FetchedDocument {
            FetchedDocument(status: 200, body: self.body)
        }
    }

    @Test("A remote key set that publishes an oct key never loads: tokens get token_keys_unavailable, status says why")
    func remoteSetRefused() async throws {
        let keys = RemoteKeySet(
            location: .jwks(url: "https://idp.example/jwks"),
            fetcher: FixedFetcher(Self.jwks([Self.oct(kid: "leaked", Self.first)])), logger: Logger(label: "test"))
        await keys.refresh()
        #expect(keys.current == nil)
        #expect(keys.status.lastError?.code == .keySetPublishesSecret)
        let verifier = TokenVerifier(issuers: [IssuerSettings(issuer: Self.issuer, algorithms: [.hs256], keys: keys)])
        let request = AuthzRequest(
            headers: [("authorization", "Bearer " + Self.token(kid: "leaked", secret: Self.first))],
            time: UnixTime(seconds: Self.now))
        guard case .rejected(let failure) = await verifier.verify(request) else {
            Issue.record("a token verified against a published secret")
            return
        }
        #expect(failure.detail == .tokenKeysUnavailable)
    }

    // MARK: Loading from the policy's files

    /// A temporary directory holding `files`, removed after `body`.
    static func withFiles<T>(_ files: [String: [UInt8]], _ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gatehouse-secrets-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name)) }
        return try await body(directory)
    }

    static func load(_ keys: JWTIssuerSettings.KeySource, algorithms: [String]) throws -> PolicyAuthenticators {
        let location = SourceLocation(file: "p.yaml", line: 7, column: 19)
        let settings = AuthenticationSettings(jwt: [
            JWTIssuerSettings(
                issuer: Located(Self.issuer, at: location), keys: keys, keysLocation: location, algorithms: algorithms)
        ])
        let registry = KeySetRegistry(fetcher: FixedFetcher([]), logger: Logger(label: "test"))
        return try IdentityLoader.load([settings], keySets: registry)
    }

    static func identity(_ authenticators: PolicyAuthenticators, token: String) async throws -> Identity {
        let request = AuthzRequest(headers: [("authorization", "Bearer " + token)], time: UnixTime(seconds: Self.now))
        return try await authenticators.identity(for: request, policyIndex: 0, caller: CallerFacts())
    }

    @Test("secretFile with kid, loaded from disk, verifies tokens naming that kid")
    func loadsSecretFileWithKeyID() async throws {
        try await Self.withFiles(["hs.secret": Self.first + [0x0A]]) { directory in
            let authenticators = try Self.load(
                .secretFile(directory + "/hs.secret", keyID: "hs-1"), algorithms: ["HS256"])
            let named = try await Self.identity(authenticators, token: Self.token(kid: "hs-1", secret: Self.first))
            #expect(named.token?.subject == "u1")
            let other = try await Self.identity(authenticators, token: Self.token(kid: "hs-0", secret: Self.first))
            #expect(other.credentialFailure?.detail == .tokenKeyUnknown)
        }
    }

    @Test("A JWKS file of oct keys, loaded from disk, backs an issuer's HS algorithms")
    func loadsJWKSFileWithSecrets() async throws {
        let document = Self.jwks([Self.oct(kid: "2024", Self.first), Self.oct(kid: "2025", Self.second)])
        try await Self.withFiles(["keys.jwks": document]) { directory in
            let authenticators = try Self.load(.file(directory + "/keys.jwks"), algorithms: ["HS256"])
            let old = try await Self.identity(authenticators, token: Self.token(kid: "2024", secret: Self.first))
            #expect(old.token?.subject == "u1")
            let new = try await Self.identity(authenticators, token: Self.token(kid: "2025", secret: Self.second))
            #expect(new.token?.subject == "u1")
            let swapped = try await Self.identity(authenticators, token: Self.token(kid: "2025", secret: Self.first))
            #expect(swapped.credentialFailure?.detail == .tokenSignatureInvalid)
        }
    }

    @Test("An issuer over a key set from a URL never keeps an HS algorithm, whatever the settings say")
    func urlIssuerDropsSharedSecretAlgorithms() {
        let location = SourceLocation(file: "p.yaml", line: 1, column: 1)
        let settings = JWTIssuerSettings(
            issuer: Located(Self.issuer, at: location), keys: .url("https://idp.example/jwks"), keysLocation: location,
            algorithms: ["RS256", "HS256"])
        #expect(IssuerSettings(settings: settings, keys: StaticKeySet(KeySet(keys: []))).algorithms == [.rs256])
        var file = settings
        file.keys = .file("keys.jwks")
        file.algorithms = ["HS256", "HS512"]
        #expect(IssuerSettings(settings: file, keys: StaticKeySet(KeySet(keys: []))).algorithms == [.hs256, .hs512])
        var secret = settings
        secret.keys = .secretFile("hs.secret", keyID: "k")
        #expect(IssuerSettings(settings: secret, keys: StaticKeySet(KeySet(keys: []))).algorithms == [.hs256])
    }
}

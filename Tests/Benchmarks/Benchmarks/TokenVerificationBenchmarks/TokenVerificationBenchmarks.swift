import Benchmark
import Crypto
import GatehouseCore
import GatehouseIdentity
import PolicyFixtures
import _CryptoExtras

/// Cost of verifying one bearer token, per algorithm: `TokenVerifier.verify` on a pre-built request.
///
/// One iteration is one whole verification: finding the token in the `Authorization` header,
/// base64url and strict JSON decoding of header and payload, key selection by `kid`, the
/// signature check, and the claim checks. The gap between HS256 and the rest is the public-key
/// operation itself; HS256 is close to the cost of everything around a signature check.
let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] =
        [.wallClock, .mallocCountTotal] + (Machine.hasInstructionCounters ? [.instructions] : [])
    for algorithm in JWSAlgorithm.allCases {
        Benchmark(
            "verify \(algorithm.rawValue)",
            configuration: .init(
                metrics: metrics,
                warmupIterations: 100,
                scalingFactor: .one,
                maxDuration: .seconds(2),
                maxIterations: 100_000,
                thresholds: [.wallClock: .relaxed, .instructions: .default]
            )
        ) { benchmark, fixture in
            for _ in benchmark.scaledIterations {
                blackHole(await fixture.verifier.verify(fixture.request))
            }
        } setup: {
            try await TokenFixture(algorithm)
        }
    }
}

/// A verifier with one key and a request carrying a valid token for it.
final class TokenFixture: Sendable {
    let verifier: TokenVerifier
    let request: AuthzRequest

    static let now: Int64 = 1_750_000_000

    init(_ algorithm: JWSAlgorithm) async throws {
        let (key, sign) = try Self.key(for: algorithm)
        let header = #"{"alg":"\#(algorithm.rawValue)","typ":"JWT","kid":"k1"}"#
        let payload =
            #"{"iss":"https://idp.example","sub":"user-42","aud":"gatehouse","exp":\#(Self.now + 600),"iat":\#(Self.now),"roles":["reader","writer"],"tenant":"t-7"}"#
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        let token = input + "." + Base64URL.encode(try sign(Array(input.utf8)))
        self.verifier = TokenVerifier(issuers: [
            IssuerSettings(
                issuer: "https://idp.example", audiences: ["gatehouse"], algorithms: [algorithm],
                keys: StaticKeySet(KeySet(keys: [VerificationKey(keyID: "k1", material: key)])))
        ])
        self.request = AuthzRequest(
            path: "/data/items", host: "api.gov.example", headers: [("authorization", "Bearer " + token)],
            time: UnixTime(seconds: Self.now))
        // A benchmark of a rejection measures the wrong path: check once before measuring.
        guard case .verified = await self.verifier.verify(self.request) else {
            fatalError("The \(algorithm.rawValue) benchmark token does not verify.")
        }
    }

    private static func key(
        for algorithm: JWSAlgorithm
    ) throws -> (VerificationKey.Material, @Sendable ([UInt8]) throws -> [UInt8]) {
        switch algorithm {
        case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            return (.rsa(key.publicKey), { input in try Self.rsaSign(key, input, algorithm) })
        case .es256:
            let key = P256.Signing.PrivateKey()
            return (.p256(key.publicKey), { Array(try key.signature(for: $0).rawRepresentation) })
        case .es384:
            let key = P384.Signing.PrivateKey()
            return (.p384(key.publicKey), { Array(try key.signature(for: $0).rawRepresentation) })
        case .edDSA:
            let key = Curve25519.Signing.PrivateKey()
            return (.ed25519(key.publicKey), { Array(try key.signature(for: $0)) })
        case .hs256, .hs384, .hs512:
            let secret = SymmetricKey(size: .bits256)
            return (
                .sharedSecret(secret),
                { input in
                    switch algorithm {
                    case .hs384: return Array(HMAC<SHA384>.authenticationCode(for: input, using: secret))
                    case .hs512: return Array(HMAC<SHA512>.authenticationCode(for: input, using: secret))
                    default: return Array(HMAC<SHA256>.authenticationCode(for: input, using: secret))
                    }
                }
            )
        }
    }

    private static func rsaSign(
        _ key: _RSA.Signing.PrivateKey, _ input: [UInt8], _ algorithm: JWSAlgorithm
    ) throws -> [UInt8] {
        let signature: _RSA.Signing.RSASignature
        switch algorithm {
        case .rs256: signature = try key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case .rs384: signature = try key.signature(for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
        case .rs512: signature = try key.signature(for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
        case .ps256: signature = try key.signature(for: SHA256.hash(data: input), padding: .PSS)
        case .ps384: signature = try key.signature(for: SHA384.hash(data: input), padding: .PSS)
        default: signature = try key.signature(for: SHA512.hash(data: input), padding: .PSS)
        }
        return Array(signature.rawRepresentation)
    }
}

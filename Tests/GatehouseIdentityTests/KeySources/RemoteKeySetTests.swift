import Crypto
import Foundation
import GatehouseCore
import Logging
import NIOHTTP1
import Synchronization
import Testing

@testable import GatehouseIdentity

/// Key sets fetched from a loopback JWKS server: loading, rotation, unknown-`kid` re-fetch with
/// its rate limit, `Cache-Control`, discovery, and a server that fails or disappears.
@Suite("Remote key sets", .timeLimit(.minutes(2)))
struct RemoteKeySetTests {
    /// A monotonic clock the test moves by hand.
    final class ManualClock: Sendable {
        private let elapsed = Mutex(Duration.seconds(1_000))
        var now: Duration { self.elapsed.withLock { $0 } }
        func advance(_ duration: Duration) { self.elapsed.withLock { $0 += duration } }
    }

    static func jwks(_ keys: [(kid: String, key: P256.Signing.PublicKey)]) -> String {
        let entries = keys.map { kid, key in
            let raw = key.rawRepresentation
            return
                #"{"kty":"EC","crv":"P-256","use":"sig","alg":"ES256","kid":"\#(kid)","x":"\#(Self.base64URL(raw.prefix(32)))","y":"\#(Self.base64URL(raw.suffix(32)))"}"#
        }
        return #"{"keys":[\#(entries.joined(separator: ","))]}"#
    }

    static func base64URL(_ bytes: Data) -> String {
        Base64URL.encode(bytes)
    }

    static func keyIDs(_ set: KeySet?) -> [String] { (set?.keys ?? []).compactMap(\.keyID).sorted() }

    let first = P256.Signing.PrivateKey().publicKey
    let second = P256.Signing.PrivateKey().publicKey
    let clock = ManualClock()

    func keySet(_ location: RemoteKeySet.Location, fetcher: HTTPFetcher) -> RemoteKeySet {
        let clock = self.clock
        return RemoteKeySet(
            location: location, fetcher: fetcher, logger: Logger(label: "test"), monotonicNow: { clock.now },
            wallClock: { UnixTime(seconds: 1_800_000_000) })
    }

    /// Runs `body` with a server and a fetcher, shutting both down afterwards.
    func withServer(_ body: (LoopbackHTTPServer, HTTPFetcher) async throws -> Void) async throws {
        let server = try await LoopbackHTTPServer()
        let fetcher = HTTPFetcher()
        do {
            try await body(server, fetcher)
        } catch {
            try await fetcher.shutdown()
            try? await server.stop()
            throw error
        }
        try await fetcher.shutdown()
        try? await server.stop()
    }

    @Test("Loads a JWKS URL, reports key count and fetch time")
    func loads() async throws {
        try await self.withServer { server, fetcher in
            server.answer("/jwks", .init(body: Self.jwks([("k1", self.first)])))
            let keys = self.keySet(.jwks(url: server.baseURL + "/jwks"), fetcher: fetcher)
            #expect(keys.current == nil && !keys.isLoaded)
            await keys.refresh()
            #expect(Self.keyIDs(keys.current) == ["k1"])
            #expect(keys.status.keyCount == 1)
            #expect(keys.status.fetchedAt == UnixTime(seconds: 1_800_000_000))
            #expect(keys.status.lastError == nil)
        }
    }

    @Test("An unknown kid re-fetches the rotated set, at most once per rate-limit interval")
    func unknownKeyIDRefetch() async throws {
        try await self.withServer { server, fetcher in
            server.answer("/jwks", .init(body: Self.jwks([("k1", self.first)])))
            let keys = self.keySet(.jwks(url: server.baseURL + "/jwks"), fetcher: fetcher)
            await keys.refresh()
            // The issuer rotates: k2 replaces k1.
            server.answer("/jwks", .init(body: Self.jwks([("k2", self.second)])))
            #expect(Self.keyIDs(await keys.keysAfterUnknownKeyID("k2")) == ["k2"])
            #expect(server.requests(to: "/jwks") == 2)
            // A flood of made-up key ids inside the interval costs no fetch.
            for index in 0..<50 { _ = await keys.keysAfterUnknownKeyID("made-up-\(index)") }
            #expect(server.requests(to: "/jwks") == 2)
            self.clock.advance(.seconds(31))
            _ = await keys.keysAfterUnknownKeyID("made-up")
            #expect(server.requests(to: "/jwks") == 3)
        }
    }

    @Test("A failed fetch keeps the last good set and reports the error: HTTP 500, garbage, server down")
    func keepsLastGoodSet() async throws {
        try await self.withServer { server, fetcher in
            server.answer("/jwks", .init(body: Self.jwks([("k1", self.first)])))
            let keys = self.keySet(.jwks(url: server.baseURL + "/jwks"), fetcher: fetcher)
            await keys.refresh()

            server.answer("/jwks", .init(status: .internalServerError, body: "{}"))
            await keys.refresh()
            #expect(Self.keyIDs(keys.current) == ["k1"])
            #expect(keys.status.lastError?.code == .keySetFetchFailed)

            server.answer("/jwks", .init(body: "<html>not json</html>"))
            await keys.refresh()
            #expect(Self.keyIDs(keys.current) == ["k1"])
            #expect(keys.status.lastError?.code == .keySetInvalid)

            try await server.stop()
            await keys.refresh()
            #expect(Self.keyIDs(keys.current) == ["k1"])
            #expect(keys.status.lastError?.code == .keySetFetchFailed)
            #expect(keys.status.lastError?.cause != nil, "the transport's error is kept as the cause")
            #expect(keys.status.keyCount == 1)
        }
    }

    @Test("A server that is down at start leaves the set unloaded, with the error")
    func downAtStart() async throws {
        try await self.withServer { server, fetcher in
            let url = server.baseURL + "/jwks"
            try await server.stop()
            let keys = self.keySet(.jwks(url: url), fetcher: fetcher)
            await keys.refresh()
            #expect(keys.current == nil && !keys.isLoaded)
            #expect(keys.status.lastError?.code == .keySetFetchFailed)
        }
    }

    @Test("OpenID discovery finds jwks_uri; a document naming another issuer is refused")
    func discovery() async throws {
        try await self.withServer { server, fetcher in
            let issuer = server.baseURL + "/realms/gov"
            server.answer(
                "/realms/gov/.well-known/openid-configuration",
                .init(body: #"{"issuer":"\#(issuer)","jwks_uri":"\#(server.baseURL)/realms/gov/certs"}"#))
            server.answer("/realms/gov/certs", .init(body: Self.jwks([("k1", self.first)])))
            let keys = self.keySet(.discovery(issuer: issuer), fetcher: fetcher)
            await keys.refresh()
            #expect(Self.keyIDs(keys.current) == ["k1"])

            server.answer(
                "/realms/gov/.well-known/openid-configuration",
                .init(body: #"{"issuer":"https://evil.example","jwks_uri":"\#(server.baseURL)/realms/gov/certs"}"#))
            let other = self.keySet(.discovery(issuer: issuer), fetcher: fetcher)
            await other.refresh()
            #expect(other.current == nil)
            #expect(other.status.lastError?.code == .discoveryInvalid)

            server.answer(
                "/realms/gov/.well-known/openid-configuration",
                .init(body: #"{"issuer":"\#(issuer)","jwks_uri":"http://keys.example/certs"}"#))
            let plain = self.keySet(.discovery(issuer: issuer), fetcher: fetcher)
            await plain.refresh()
            #expect(plain.current == nil)
            #expect(plain.status.lastError?.code == .discoveryInvalid)
        }
    }

    @Test("Concurrent refreshes are coalesced into one fetch")
    func coalesces() async throws {
        try await self.withServer { server, fetcher in
            server.answer("/jwks", .init(body: Self.jwks([("k1", self.first)])))
            let keys = self.keySet(.jwks(url: server.baseURL + "/jwks"), fetcher: fetcher)
            await withDiscardingTaskGroup { group in
                for _ in 0..<20 { group.addTask { await keys.refresh() } }
            }
            #expect(keys.isLoaded)
            #expect(server.requests(to: "/jwks") < 20)
        }
    }

    @Test(
        "Cache-Control max-age sets the refresh interval within the configured bounds",
        arguments: [
            (nil, 300), ("max-age=600", 600), ("public, max-age=5", 60), ("max-age=999999", 86_400), ("no-cache", 60),
            ("no-store, max-age=600", 60), ("max-age=abc", 300), ("s-maxage=120, max-age=900", 120),
        ] as [(String?, Int64)])
    func cacheControl(header: String?, seconds: Int64) {
        #expect(
            RemoteKeySet.refreshDelay(maximumAge: CacheControl.maximumAge(header), settings: .init())
                == .seconds(seconds))
    }

    @Test("Only https:// and loopback http:// key-set addresses are acceptable")
    func acceptableURLs() {
        #expect(JWTIssuerSettings.isAcceptableKeySetURL("https://idp.gov.example/certs"))
        #expect(JWTIssuerSettings.isAcceptableKeySetURL("http://127.0.0.1:8080/certs"))
        #expect(JWTIssuerSettings.isAcceptableKeySetURL("http://localhost/certs"))
        #expect(!JWTIssuerSettings.isAcceptableKeySetURL("http://idp.gov.example/certs"))
        #expect(!JWTIssuerSettings.isAcceptableKeySetURL("http://127.0.0.1.evil.example/certs"))
        #expect(!JWTIssuerSettings.isAcceptableKeySetURL("ftp://127.0.0.1/certs"))
    }
}
